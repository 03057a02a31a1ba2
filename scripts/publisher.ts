/**
 * `npm run publisher`: publishes "Hello World <date>" to subject foo every 5 s (PUBLISH_INTERVAL_MS)
 * through NATS_SERVER, the load balancer. Replaces the seed tutorial's Java publisher.
 */
import { intervalFromEnv } from "../verify/env";
import { SUBJECT, appUsage, connectApp, drainOnSignals, printStatus, runApp, untilClosed } from "../verify/pubsub-app";

const NAME = "publisher";
const DEFAULT_INTERVAL_MS = 5000;

const USAGE = appUsage(NAME, [`  PUBLISH_INTERVAL_MS   milliseconds between messages (default ${DEFAULT_INTERVAL_MS})`]);

runApp(NAME, USAGE, async () => {
  const intervalMs = intervalFromEnv(process.env, "PUBLISH_INTERVAL_MS", DEFAULT_INTERVAL_MS);
  const nc = await connectApp(NAME, process.env);
  let connected = true;
  const status = printStatus(NAME, nc, (now) => (connected = now));
  const publish = (): void => {
    const text = `Hello World ${new Date().toISOString()}`;
    nc.publish(SUBJECT, text);
    // While disconnected nats.js keeps what is published and sends it once reconnected.
    console.log(connected ? `${NAME}: published to ${SUBJECT}: ${text}` : `${NAME}: buffered for ${SUBJECT} (no server; sent on reconnect): ${text}`);
  };
  publish();
  const timer = setInterval(publish, intervalMs);
  drainOnSignals(NAME, nc, () => clearInterval(timer));
  await Promise.all([untilClosed(nc), status]);
});
