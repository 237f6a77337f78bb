declare module "dynalite" {
  import type { Server } from "node:http";
  /** dynalite: DynamoDB's API on a local HTTP server, in memory unless given a path. */
  export default function dynalite(options?: {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }): Server;
}
