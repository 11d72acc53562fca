/* The report formats `audit` and `report` write, as one table: a new format is its writer's
 * file in reports/ plus one row in reports/formats.c. The CLI (auditor/outputs.c) builds its
 * options, its --help lines and its write loop from this table. */
#ifndef KC_REPORT_FORMATS_H
#define KC_REPORT_FORMATS_H

#include <stddef.h>

#include "store/run.h"
#include "store/store.h"

/* Room the CLI keeps per format; formats.c asserts the table fits. */
#define KC_REPORT_FORMATS_MAX 16

struct kc_report_format {
	const char *flag;           /* --FLAG FILE on audit and report ("json") */
	const char *what;           /* the name in messages ("JSON report written to …") */
	const char *help;           /* the --help line after "--FLAG FILE" */
	const char *const *shapes;  /* NULL-terminated, first = default; NULL: one shape only */
	int needs_store;            /* the writer reads history or counters from st */
	/* Writes run to path ('-' = stdout where the writer allows it) atomically. st: the store
	 * (may be NULL; only read when needs_store). shape: one of shapes, or NULL = the default.
	 * 0 or a negative code with a message (kc_error_last). */
	int (*write)(const struct kc_run *run, struct kc_store *st, const char *path, const char *shape);
};

/* The table, in --help order. */
extern const struct kc_report_format kc_report_formats[];
extern const size_t kc_report_nformats;

/* Index of the format whose flag is `flag`, or -1. */
int kc_report_format_find(const char *flag);

/* 1 when shape is one of f's shapes (NULL is always the default), else 0. */
int kc_report_format_has_shape(const struct kc_report_format *f, const char *shape);

#endif
