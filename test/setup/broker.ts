// Placeholder replaced by the broker discovery setup (KAFKA_BROKERS → Docker → local stack).
export default async function setup(): Promise<void> {}
