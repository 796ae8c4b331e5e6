#!/bin/bash
# kafka-run-class.sh of the stand-in: the class ($1) on the jars in /opt/kafka/libs.
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_OPTS:-} -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml -cp "/opt/kafka/libs/*" "$@"
