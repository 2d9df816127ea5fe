import { html, type SafeHtml } from "./html.ts";

export interface PageFrame {
  title: string;
  /** The CSRF token for the sign-out form; absent on pages shown before signing in. */
  csrf?: string | undefined;
  realmName?: string | undefined;
  /** Which nav item is current. */
  current?: string | undefined;
  /** Pages with a chart load uPlot. */
  charts?: boolean | undefined;
  /** The features built on this realm's Tally: a page whose feature is missing is not linked. */
  nav?: readonly { href: string; label: string }[] | undefined;
}

export const NAV = [
  { href: "/dashboard", label: "Overview" },
  { href: "/dashboard/leaderboard", label: "Leaderboard" },
  { href: "/dashboard/ledger", label: "Ledger" },
  { href: "/dashboard/currencies", label: "Currencies" },
  { href: "/dashboard/keys", label: "API keys" },
  { href: "/dashboard/webhooks", label: "Webhooks" },
  { href: "/dashboard/bots", label: "Bots" },
  { href: "/dashboard/settings", label: "Settings" },
] as const;

/** The page shell: no inline script or style, so the Content-Security-Policy can forbid both. */
export function page(frame: PageFrame, body: SafeHtml): string {
  const nav = frame.nav ?? NAV;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · Tally</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
${
  frame.charts
    ? html`<link rel="stylesheet" href="/dashboard/assets/uPlot.min.css">
<script src="/dashboard/assets/uPlot.iife.min.js" defer></script>
<script src="/dashboard/assets/dashboard.js" defer></script>`
    : ""
}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <p class="brand">Tally${frame.realmName ? html` <span>· ${frame.realmName}</span>` : ""}</p>
  ${
    frame.csrf
      ? html`<nav aria-label="Dashboard"><ul>${nav.map(
          (item) =>
            html`<li><a href="${item.href}"${item.label === frame.current ? html` aria-current="page"` : ""}>${item.label}</a></li>`,
        )}</ul></nav>
  <form method="post" action="/dashboard/logout" class="logout"><input type="hidden" name="_csrf" value="${frame.csrf}"><button type="submit">Sign out</button></form>`
      : ""
  }
</header>
<main id="main">
<h1>${frame.title}</h1>
${body}
</main>
</body>
</html>`.value;
}

/** A message box; `role="alert"` for errors so screen readers announce them. */
export function notice(kind: "error" | "info" | "success", text: string | SafeHtml): SafeHtml {
  return html`<p class="notice ${kind}"${kind === "error" ? html` role="alert"` : ""}>${text}</p>`;
}
