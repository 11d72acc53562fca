/* A tiny HTTP/1.1 server for Prometheus scrapes: one thread, GET (or HEAD) /metrics, 404 for
 * any other path, 405 for other methods. `watch --metrics-addr HOST:PORT` starts it beside the
 * monitors.
 *
 * It answers one connection at a time: a scrape is one small request every few seconds, so a
 * thread per connection would only widen what a misbehaving client can hold. Each request is
 * bounded (8 KiB of headers, 5 s to arrive, 10 s to send the answer), so a stalled client
 * delays the next scrape by at most that, and the connection is closed after each answer.
 *
 * The thread reads the evidence store through its OWN connection (opened at start from
 * kc_store_path(st)): the monitors' writer keeps batches open on theirs, and WAL lets a second
 * connection read committed data without waiting for them. */
#ifndef KC_METRICS_HTTP_H
#define KC_METRICS_HTTP_H

#include "store/store.h"

struct kc_metrics_server;

/* addr: "HOST:PORT", "[v6]:PORT", or ":PORT" for every interface; port 0 picks a free one
 * (see kc_metrics_server_port). Binds and listens before returning, so an address in use is
 * an error here, not in the thread. st is only used for its path. */
int kc_metrics_server_start(const char *addr, struct kc_store *st, struct kc_metrics_server **out);
/* Stops the thread, closes the socket and the store connection, frees srv (NULL is fine). */
void kc_metrics_server_stop(struct kc_metrics_server *srv);
/* The port actually bound. */
int kc_metrics_server_port(const struct kc_metrics_server *srv);
/* Requests answered so far (any status); for tests and the watch summary. */
unsigned long kc_metrics_server_requests(const struct kc_metrics_server *srv);

#endif
