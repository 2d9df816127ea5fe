/** Where a `postgres://` URL points: the URL postgres.js is given, and a unix-socket folder when it names one. */
export interface ConnectionTarget {
  url: string;
  /**
   * postgres.js options to spread: `host` is the folder holding PostgreSQL's socket (`.s.PGSQL.<port>`) when the URL
   * names one, and absent otherwise.
   */
  socket: { host?: string };
  /** `host:port` or `socket folder:port`, for messages; never the password. */
  where: string;
}

/**
 * Reads libpq's way of naming a unix socket, `postgres://user@localhost/db?host=/var/run/postgresql`, which
 * postgres.js does not: it would send `host` to the server as a setting, which refuses it. The folder goes to
 * postgres.js's `host` option instead (a host with a slash is a socket folder there), and the URL keeps the rest.
 */
export function connectionTarget(url: string, setting = "DATABASE_URL"): ConnectionTarget {
  const parsed = new URL(url);
  const port = parsed.port || "5432";
  const host = parsed.searchParams.get("host");
  if (host === null) return { url, socket: {}, where: `${parsed.hostname || "localhost"}:${port}` };
  if (!host.startsWith("/")) {
    throw new Error(`${setting}'s host parameter must be a socket folder starting with / (got "${host}")`);
  }
  parsed.searchParams.delete("host");
  return { url: parsed.toString(), socket: { host }, where: `${host}:${port}` };
}
