/* Listening sockets for the servers kubecomply runs (audit webhook, metrics). */
#ifndef KC_NET_H
#define KC_NET_H

/* Listens on "host:port", "[v6]:port" or ":port" (all addresses), trying each address the
 * host resolves to. what names the option in messages ("--metrics-addr"). On success *fd_out
 * is the listening socket (CLOEXEC) and *port_out the port bound (useful with port 0). */
int kc_net_listen(const char *addr, const char *what, int *fd_out, int *port_out);

#endif
