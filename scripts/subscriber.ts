/**
 * `npm run subscriber`: subscribes to subject foo through NATS_SERVER, the load balancer, and
 * prints the servers it discovered and every message. Replaces the seed tutorial's Go
 * subscriber; run several at once to see them land on different nodes.
 */
import { SUBJECT, appUsage, connectApp, drainOnSignals, printStatus, runApp, say, untilClosed } from "../verify/pubsub-app";

const NAME = "subscriber";

runApp(NAME, appUsage(NAME), async () => {
  const nc = await connectApp(NAME, process.env);
  const advertised = nc.info?.connect_urls ?? [];
  say(`${NAME}: cluster advertises ${advertised.length > 0 ? advertised.join(", ") : "no client URLs (clients stay on the load balancer)"}`);
  say(`${NAME}: server pool ${nc.getServers().map((s) => (s.gossiped ? `${s.listen} (discovered)` : s.listen)).join(", ")}`);
  const status = printStatus(NAME, nc);
  nc.subscribe(SUBJECT, { callback: (_err, msg) => say(`${NAME}: [${msg.subject}] ${msg.string()}`) });
  await nc.flush();
  console.log(`${NAME}: subscribed to ${SUBJECT}`);
  drainOnSignals(NAME, nc);
  await Promise.all([untilClosed(nc), status]);
});
