/** A tiny browser stand-in for the dashboard's HTTP tests: keeps cookies, reads CSRF tokens out of forms. */
export class WebClient {
  readonly cookies = new Map<string, string>();
  /** The raw Set-Cookie lines of the last response. */
  lastSetCookie: string[] = [];

  constructor(readonly base: string) {}

  async request(
    method: string,
    path: string,
    /** Pairs when a field repeats (ticked checkboxes of one name). */
    form?: Record<string, string> | [string, string][],
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string; location: string | null; headers: Headers }> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const response = await fetch(`${this.base}${path}`, {
      method,
      redirect: "manual",
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    this.lastSetCookie = response.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair = "", ...attributes] = line.split(";");
      const [name = "", ...value] = pair.split("=");
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value.join("=") === "";
      if (expired) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.join("="));
    }
    return {
      status: response.status,
      text: await response.text(),
      location: response.headers.get("location"),
      headers: response.headers,
    };
  }

  get = (path: string, headers?: Record<string, string>) => this.request("GET", path, undefined, headers);
  post = (path: string, form: Record<string, string> | [string, string][], headers?: Record<string, string>) =>
    this.request("POST", path, form, headers);

  /** The CSRF token of the first form on a page. */
  static csrf(html: string): string {
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error("no CSRF token on the page");
    return token;
  }

  /** Signs in with an API key through the login form. */
  async logIn(key: string): Promise<void> {
    const form = await this.get("/dashboard/login");
    const answer = await this.post("/dashboard/login", { _csrf: WebClient.csrf(form.text), key });
    if (answer.status !== 303) throw new Error(`login answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  }
}
