/**
 * A TCP proxy on 127.0.0.1 that delays every chunk by a fixed time in each direction, standing in
 * for a slow network (tc netem is not available in this kernel). It forwards only to the one test
 * host it was created for, so test traffic still stays on this machine.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export class DelayProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  port = 0;
  /** Network round trips: each time the client speaks after the server did (or first). */
  roundTrips = 0;

  /** @param delayMs one-way delay (100 ms each way is a 200 ms round trip) */
  constructor(
    readonly target: { address: string; port: number },
    readonly delayMs: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.address);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      let last: "client" | "server" | undefined;
      client.on("data", () => {
        if (last !== "client") this.roundTrips++;
        last = "client";
      });
      upstream.on("data", () => (last = "server"));
      this.pipe(client, upstream);
      this.pipe(upstream, client);
    });
    await new Promise<void>((res) => this.server!.listen(0, "127.0.0.1", res));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Chunks keep their order: every one waits the same time. */
  private pipe(from: Socket, to: Socket): void {
    from.on("data", (chunk) => {
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, this.delayMs);
    });
    from.on("end", () => setTimeout(() => to.end(), this.delayMs));
  }

  stop(): void {
    for (const s of this.sockets) s.destroy();
    this.server?.close();
  }
}
