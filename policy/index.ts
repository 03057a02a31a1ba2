export * from "./aspect";
export * from "./resources";
export * from "./rule";
export * from "./rules";
export { MONITOR_PATHS, isMonitorPath } from "./rules/health-check-path";
