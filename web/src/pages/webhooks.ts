import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  httpStatusOf,
  isTallyError,
  listDeliveries,
  listWebhooks,
  redeliver,
  rotateWebhookSecret,
  sendTestEvent,
  subscribableEvents,
  updateWebhook,
  type WebhookDelivery,
  type WebhookEndpoint,
} from "@tally/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { timeText } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { notice, page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";

type WebhookForm = { url?: unknown; description?: unknown; events?: unknown };
/** The endpoint form as typed, shown again when it was refused. */
type Typed = { url?: string; description?: string; events?: string[] };
type Frame = Awaited<ReturnType<typeof signedInFrame>>;

const URL_MAX = 2048;
const DESCRIPTION_MAX = 500;

/**
 * The realm's webhook endpoints through core's manage-webhooks, as the REST API uses it (same private-address rule):
 * create (the secret is shown once, on the answer), enable/disable, test, rotate the secret, delete after a
 * confirmation, and each endpoint's deliveries with redelivery.
 */
export function webhookPages(pages: FastifyInstance, ctx: DashboardContext): void {
  const db = ctx.core.db;
  const options = () => ({ allowPrivate: ctx.webhookAllowPrivate });
  const realmOf = (request: FastifyRequest) => request.dashboard.realmId;

  const showList = async (
    request: FastifyRequest,
    reply: FastifyReply,
    message?: SafeHtml,
    status = 200,
    form: Typed = {},
  ) => {
    const [endpoints, frame] = await Promise.all([
      listWebhooks(db, realmOf(request)),
      signedInFrame(ctx, request, reply, { title: "Webhooks", current: "Webhooks" }),
    ]);
    return sendPage(
      reply,
      page(
        frame,
        html`${message ?? ""}<p>Tally signs every event it sends with the endpoint's secret (Standard Webhooks) and retries failed deliveries.</p>
${
  endpoints.length === 0
    ? html`<p>This realm has no webhook endpoints yet.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">State</th><th scope="col">Failing since (${frame.timeZone})</th></tr></thead>
<tbody>${endpoints.map(
        (
          e,
        ) => html`<tr><td class="wrap"><a href="/dashboard/webhooks/${e.id}">${e.url}</a>${e.description ? html`<br><span class="muted">${e.description}</span>` : ""}</td>
<td>${eventsText(e)}</td><td>${stateText(e)}</td><td>${e.failingSince ? timeText(e.failingSince, frame.timeZone) : ""}</td></tr>`,
      )}</tbody></table></div>`
}
<h2>New endpoint</h2>
<form method="post" action="/dashboard/webhooks" class="stack">
<input type="hidden" name="_csrf" value="${frame.csrf}">
${endpointFields("w", form)}
<div><button type="submit">Create endpoint</button></div>
</form>`,
      ),
      status,
    );
  };

  const showEndpoint = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    message?: SafeHtml,
    status = 200,
    cursor?: string,
    typed?: Typed,
  ) => {
    const realmId = realmOf(request);
    const [endpoint, deliveries, frame] = await Promise.all([
      getWebhook(db, realmId, id),
      listDeliveries(db, realmId, id, { cursor, limit: 50 }),
      signedInFrame(ctx, request, reply, { title: "Webhook endpoint", current: "Webhooks" }),
    ]);
    return sendPage(reply, page(frame, endpointBody(endpoint, deliveries, frame, message, cursor, typed)), status);
  };

  pages.get("/webhooks", (request, reply) => showList(request, reply));

  pages.post<{ Body: WebhookForm }>("/webhooks", async (request, reply) => {
    const form = readForm(request.body);
    const { url, description, events } = form;
    const refuse = (text: string, status = 400) => showList(request, reply, notice("error", text), status, form);
    const wrong = formProblem(form);
    if (wrong) return refuse(wrong);
    let created: WebhookEndpoint;
    try {
      created = await createWebhook(
        db,
        realmOf(request),
        { url, description: description || null, events: events.length > 0 ? events : null },
        options(),
      );
    } catch (error) {
      if (isTallyError(error) && error.code === "VALIDATION") return refuse(error.message, httpStatusOf(error.code));
      throw error;
    }
    return showEndpoint(request, reply, created.id, secretNotice("Endpoint created.", created.secret), 201);
  });

  pages.get<{ Params: { id: string }; Querystring: { cursor?: string } }>("/webhooks/:id", (request, reply) =>
    showEndpoint(request, reply, request.params.id, undefined, 200, request.query.cursor || undefined),
  );

  pages.post<{ Params: { id: string }; Body: WebhookForm }>("/webhooks/:id", async (request, reply) => {
    const { id } = request.params;
    // Another realm's endpoint answers 404 before the form is looked at.
    await getWebhook(db, realmOf(request), id);
    const form = readForm(request.body);
    const refuse = (text: string, status = 400) =>
      showEndpoint(request, reply, id, notice("error", text), status, undefined, form);
    const wrong = formProblem(form);
    if (wrong) return refuse(wrong);
    try {
      await updateWebhook(
        db,
        realmOf(request),
        id,
        {
          url: form.url,
          description: form.description || null,
          events: form.events.length > 0 ? form.events : null,
        },
        options(),
      );
    } catch (error) {
      if (isTallyError(error) && error.code === "VALIDATION") return refuse(error.message, httpStatusOf(error.code));
      throw error;
    }
    return showEndpoint(request, reply, id, notice("success", "Endpoint saved."));
  });

  for (const [action, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    pages.post<{ Params: { id: string } }>(`/webhooks/:id/${action}`, async (request, reply) => {
      await updateWebhook(db, realmOf(request), request.params.id, { enabled }, options());
      const text = enabled ? "Endpoint enabled: deliveries resume." : "Endpoint disabled: nothing is sent to it.";
      return showEndpoint(request, reply, request.params.id, notice("success", text));
    });
  }

  pages.post<{ Params: { id: string } }>("/webhooks/:id/test", async (request, reply) => {
    const queued = await sendTestEvent(db, realmOf(request), request.params.id);
    return showEndpoint(
      request,
      reply,
      request.params.id,
      notice("success", `A webhook.test event is queued as delivery #${queued.id}.`),
      202,
    );
  });

  pages.post<{ Params: { id: string } }>("/webhooks/:id/rotate-secret", async (request, reply) => {
    const rotated = await rotateWebhookSecret(db, realmOf(request), request.params.id);
    const frameZone = (await ctx.core.getRealm(realmOf(request)))?.timezone ?? "UTC";
    return showEndpoint(
      request,
      reply,
      request.params.id,
      secretNotice(
        `New secret made. The previous one keeps signing alongside it until ${timeText(rotated.previousSecretExpiresAt, frameZone)} (${frameZone}).`,
        rotated.secret,
      ),
    );
  });

  pages.get<{ Params: { id: string } }>("/webhooks/:id/delete", async (request, reply) => {
    const [endpoint, frame] = await Promise.all([
      getWebhook(db, realmOf(request), request.params.id),
      signedInFrame(ctx, request, reply, { title: "Delete a webhook endpoint", current: "Webhooks" }),
    ]);
    return sendPage(
      reply,
      page(
        frame,
        html`<p>Delete the endpoint <code class="wrap">${endpoint.url}</code>${endpoint.description ? ` (${endpoint.description})` : ""}? Its delivery history goes with it and nothing more is sent to it.</p>
<form method="post" action="/dashboard/webhooks/${endpoint.id}/delete" class="stack">
<input type="hidden" name="_csrf" value="${frame.csrf}">
<button type="submit" class="danger">Delete this endpoint</button> <a href="/dashboard/webhooks/${endpoint.id}">Cancel</a>
</form>`,
      ),
    );
  });

  pages.post<{ Params: { id: string } }>("/webhooks/:id/delete", async (request, reply) => {
    await deleteWebhook(db, realmOf(request), request.params.id);
    return showList(request, reply, notice("success", "The endpoint is deleted."));
  });

  pages.post<{ Params: { id: string; deliveryId: string } }>(
    "/webhooks/:id/deliveries/:deliveryId/redeliver",
    async (request, reply) => {
      const { id, deliveryId } = request.params;
      const again = await redeliver(db, realmOf(request), id, deliveryId);
      return showEndpoint(
        request,
        reply,
        id,
        notice("success", `Delivery #${deliveryId} is queued again as #${again.id}, with the same webhook-id.`),
        202,
      );
    },
  );
}

function readForm(body: WebhookForm | undefined): Required<Typed> {
  const { url, description, events } = body ?? {};
  return {
    url: typeof url === "string" ? url.trim() : "",
    description: typeof description === "string" ? description.trim() : "",
    events: (Array.isArray(events) ? events : events === undefined ? [] : [events]).map(String),
  };
}

/** The checks the API's schema makes before core (core checks the URL itself and the event names). */
function formProblem(form: Required<Typed>): string | undefined {
  if (!form.url) return "url: enter the address Tally should send events to.";
  if (form.url.length > URL_MAX) return `url: at most ${URL_MAX} characters.`;
  if (form.description.length > DESCRIPTION_MAX) return `description: at most ${DESCRIPTION_MAX} characters.`;
  return undefined;
}

/** URL, description and event boxes; `id` keeps the create and edit forms' labels apart. */
function endpointFields(id: string, form: Typed): SafeHtml {
  const chosen = new Set(form.events ?? []);
  return html`<div><label for="${id}-url">URL</label><input id="${id}-url" name="url" type="url" required maxlength="${URL_MAX}" placeholder="https://example.com/tally-webhooks" value="${form.url ?? ""}"></div>
<div><label for="${id}-description">Description (optional)</label><input id="${id}-description" name="description" maxlength="${DESCRIPTION_MAX}" value="${form.description ?? ""}"></div>
<fieldset><legend>Events (none ticked: every event, including kinds added later)</legend>
${subscribableEvents.map(
  (event, i) =>
    html`<label class="check"><input type="checkbox" id="${id}-event-${i}" name="events" value="${event}"${chosen.has(event) ? html` checked` : ""}> <code>${event}</code></label>`,
)}
</fieldset>`;
}

function secretNotice(text: string, secret: string): SafeHtml {
  return html`${notice("success", `${text} Copy the signing secret now: it is shown only this once.`)}<code class="secret" data-testid="new-secret">${secret}</code>`;
}

const eventsText = (e: WebhookEndpoint) => (e.events ? e.events.join(", ") : "every event");

const stateText = (e: WebhookEndpoint) =>
  e.enabled ? "enabled" : `disabled${e.disabledReason ? `: ${e.disabledReason}` : ""}`;

function resultText(d: WebhookDelivery): string {
  if (d.lastStatusCode !== null) return `HTTP ${d.lastStatusCode}`;
  if (d.lastError) return d.lastError.length > 120 ? `${d.lastError.slice(0, 120)}…` : d.lastError;
  return "";
}

function endpointBody(
  endpoint: WebhookEndpoint,
  deliveries: { items: WebhookDelivery[]; nextCursor: string | null },
  frame: Frame,
  message: SafeHtml | undefined,
  cursor: string | undefined,
  typed: Typed | undefined,
): SafeHtml {
  const tz = frame.timeZone;
  const button = (action: string, label: string, kind = "") =>
    html`<form method="post" action="/dashboard/webhooks/${endpoint.id}/${action}" class="inline"><input type="hidden" name="_csrf" value="${frame.csrf}"><button type="submit"${kind ? html` class="${kind}"` : ""}>${label}</button></form>`;
  return html`${message ?? ""}<dl class="facts">
<dt>URL</dt><dd class="wrap"><code>${endpoint.url}</code></dd>
${endpoint.description ? html`<dt>Description</dt><dd>${endpoint.description}</dd>` : ""}
<dt>Events</dt><dd>${eventsText(endpoint)}</dd>
<dt>State</dt><dd>${stateText(endpoint)}</dd>
${endpoint.failingSince ? html`<dt>Failing since</dt><dd>${timeText(endpoint.failingSince, tz)} (${tz})</dd>` : ""}
<dt>Created</dt><dd>${timeText(endpoint.createdAt, tz)} (${tz})</dd>
</dl>
<div class="actions">${endpoint.enabled ? button("disable", "Disable", "secondary") : button("enable", "Enable")}
${button("test", "Send a test event", "secondary")}
${button("rotate-secret", "Rotate the secret", "secondary")}
<a href="/dashboard/webhooks/${endpoint.id}/delete">Delete…</a></div>
<h2>Deliveries</h2>
${
  deliveries.items.length === 0
    ? html`<p>${cursor ? "No older deliveries." : "Nothing has been sent to this endpoint yet."}</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col">#</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last answer</th><th scope="col">Last attempt (${tz})</th><th scope="col">Next attempt (${tz})</th><th scope="col">Created (${tz})</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${deliveries.items.map((d) => {
        const open = d.status === "pending" || d.status === "delivering";
        return html`<tr><td>${d.id}</td><td><code>${d.type}</code></td><td>${d.status}</td><td class="num">${d.attempts}</td><td>${resultText(d)}</td>
<td>${d.lastAttemptAt ? timeText(d.lastAttemptAt, tz) : ""}</td><td>${open ? timeText(d.nextAttemptAt, tz) : ""}</td><td>${timeText(d.createdAt, tz)}</td>
<td><form method="post" action="/dashboard/webhooks/${endpoint.id}/deliveries/${d.id}/redeliver" class="inline"><input type="hidden" name="_csrf" value="${frame.csrf}"><button type="submit" class="secondary" aria-label="Redeliver delivery ${d.id}">Redeliver</button></form></td></tr>`;
      })}</tbody></table></div>`
}
<p class="pager">${cursor ? html`<a href="/dashboard/webhooks/${endpoint.id}">Newest deliveries</a>` : ""}${
    deliveries.nextCursor
      ? html`<a href="/dashboard/webhooks/${endpoint.id}?cursor=${deliveries.nextCursor}">Older deliveries</a>`
      : ""
  }</p>
<details${typed ? html` open` : ""}><summary>Change the URL, description or events</summary>
<form method="post" action="/dashboard/webhooks/${endpoint.id}" class="stack">
<input type="hidden" name="_csrf" value="${frame.csrf}">
${endpointFields("e", typed ?? { url: endpoint.url, description: endpoint.description ?? "", events: endpoint.events ?? [] })}
<div><button type="submit">Save the endpoint</button></div>
</form></details>
<p><a href="/dashboard/webhooks">All endpoints</a></p>`;
}
