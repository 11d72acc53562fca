/* Libraries loaded on first use. An audit never calls libcurl (only cluster sources do),
 * libgit2 (remediation) or libxml2 (the JUnit report), yet linking them costs every process
 * start the dynamic loader's work and their constructors (gnutls, p11-kit, OpenSSL config):
 * about 9 ms of CPU, most of a node audit. Their functions are reached through stubs
 * generated at build time (scripts/lazy-syms.sh, common/lazy_stub.S.inc) that dlopen the
 * library on the first call. */
#ifndef KC_LAZY_H
#define KC_LAZY_H

/* Called by the stubs: returns the address of sym in the library soname (loading it once)
 * and stores it in *slot. A library that cannot be loaded ends the process with status 2
 * and a message naming it: the command needs a library this host does not have. */
void *kc_lazy_resolve(const char *sym, const char *soname, void **slot);

#endif
