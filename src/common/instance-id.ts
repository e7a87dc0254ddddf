import { hostname } from 'node:os';

/** This process among the instances of the service: `<hostname>:<pid>` (leases and /readyz name it). */
export const INSTANCE_ID = `${hostname()}:${process.pid}`;
