# The service image for docker-compose.yml. Not built on the project's machines (no Docker
# engine there): see the README.
FROM node:24-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts
COPY src ./src
COPY data ./data
COPY prompts ./prompts
COPY bin ./bin
USER node
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["start"]
