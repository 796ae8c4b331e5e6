// The Java client's read_committed view of topics, to check our KafkaJS reader against (our
// read_committed filter replaces KafkaJS's own: src/kafka/read-committed-filter.ts). Run as a
// single-file program on the local stack's jars (test/support/java-reader.ts does):
//   java -cp '.local-stack/kafka-4.4.0/libs/*' test/support/ReadCommitted.java 127.0.0.1:9092 topicA,topicB
// Prints "topic<TAB>partition<TAB>offset<TAB>key" per record, from the beginning up to each
// partition's last stable offset, then exits. No group: partitions are assigned, nothing is committed.
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ReadCommitted {
  public static void main(String[] args) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : args[1].split(",")) {
        c.partitionsFor(t).forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      // Under read_committed, endOffsets is the last stable offset: where the committed data ends.
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 60_000;
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.currentTimeMillis() > deadline) throw new RuntimeException("did not reach the end of " + args[1]);
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          System.out.println(r.topic() + "\t" + r.partition() + "\t" + r.offset() + "\t" + r.key());
        }
      }
    }
  }
}
