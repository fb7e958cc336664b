// Exit 0 when the Kafka broker at argv[2] answers a metadata request (describeCluster).
const { Kafka, logLevel } = require('kafkajs');

const admin = new Kafka({
  clientId: 'kafka-ready',
  brokers: [process.argv[2] || '127.0.0.1:9092'],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
}).admin();

admin
  .connect()
  .then(() => admin.describeCluster())
  .then(() => admin.disconnect())
  .then(() => process.exit(0))
  .catch(() => process.exit(1));
