#ifndef KC_STORE_SCHEMA_H
#define KC_STORE_SCHEMA_H

/* SQL that takes the schema from version-1 to version; NULL past the last. */
const char *kc_store_migration(int version);
int kc_store_migration_count(void);

#endif
