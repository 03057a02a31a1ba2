import type { Deadline } from "../helpers/retry";
import type { Credentials } from "./types";

/** Everything one check attempt needs, resolved from the options once. */
export interface CheckContext {
  /** nats://lb:clientPort */
  readonly natsUrl: string;
  /** http://lb:monitorPort, when the monitor is published through the load balancer. */
  readonly lbMonitorUrl?: string;
  /** Per-node monitor base URLs without a trailing slash. */
  readonly nodeMonitors: readonly string[];
  readonly expectNodes: number;
  readonly healthPath: string;
  readonly credentials?: Credentials;
  /** The cluster runs JetStream: the jetstream check runs. */
  readonly jetstream: boolean;
  readonly deadline: Deadline;
}
