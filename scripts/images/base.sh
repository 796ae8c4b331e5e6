# Sourced by build.sh: the Debian bookworm base every stand-in starts from, built with debootstrap
# from the Debian mirror this machine's apt already uses, then `docker import`ed. Cached as an image.

# The first Debian mirror URI in the machine's apt sources (deb822 .sources or one-line .list).
apt_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '
      /^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }
      /^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } else break } }
    ' "$f")
    if [ -n "$uri" ]; then echo "$uri"; return 0; fi
  done
  return 1
}

build_base() {
  if image_present "$BASE_IMAGE"; then say "$BASE_IMAGE present (cached)"; return 0; fi
  command -v debootstrap >/dev/null 2>&1 || { say "installing debootstrap (Debian package)"; apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  local mirror; mirror=$(apt_mirror) || die "no Debian mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  mirror=${DEBIAN_MIRROR:-$mirror}
  local root="$CACHE_DIR/rootfs-bookworm"
  say "debootstrap --variant=minbase bookworm from the machine's apt mirror (a few minutes)…"
  local t0=$SECONDS
  rm -rf "$root"; mkdir -p "$root"
  nice -n 10 debootstrap --variant=minbase bookworm "$root" "$mirror" > "$CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }
  # What the public debian images also do: no docs, no apt lists, no caches inside the image, and the
  # same apt sources as the host (so that apt-get in a build reaches the mirror the host reaches).
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  mkdir -p "$root/etc/apt/sources.list.d"
  rm -f "$root/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
  cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
  echo 'APT::Install-Recommends "false";' > "$root/etc/apt/apt.conf.d/no-recommends"
  tar -C "$root" -c . | docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
  say "$BASE_IMAGE built in $((SECONDS - t0)) s"
}
