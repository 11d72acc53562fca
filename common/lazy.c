#include "common/lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define MAX_LAZY_LIBS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	const char *soname;
	void *handle;
} libs[MAX_LAZY_LIBS];

void *kc_lazy_resolve(const char *sym, const char *soname, void **slot)
{
	pthread_mutex_lock(&lock);
	void *handle = NULL;
	size_t i;
	for (i = 0; i < MAX_LAZY_LIBS && libs[i].soname; i++)
		if (libs[i].soname == soname || strcmp(libs[i].soname, soname) == 0)
			break;
	if (i < MAX_LAZY_LIBS && libs[i].soname) {
		handle = libs[i].handle;
	} else {
		/* RTLD_GLOBAL: the library's own dependencies see each other as when linked */
		handle = dlopen(soname, RTLD_NOW | RTLD_GLOBAL);
		if (!handle) {
			kc_log(KC_LOG_ERROR, "cannot load %s (needed for %s): %s", soname, sym, dlerror());
			exit(2);
		}
		if (i < MAX_LAZY_LIBS) {
			libs[i].soname = soname;
			libs[i].handle = handle;
		}
	}
	void *fn = dlsym(handle, sym);
	if (!fn) {
		kc_log(KC_LOG_ERROR, "%s has no %s: %s", soname, sym, dlerror());
		exit(2);
	}
	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&lock);
	return fn;
}
