/* "Unchanged since kubecomply closed it": a record beside a SQLite store (<store>-checked) of
 * the store file's identity when a kubecomply process that had checked it (PRAGMA
 * quick_check, or the record itself) closed it: device, inode, size, mtime and ctime. The
 * kernel sets ctime on every change to a file and no process can set it back, and a file put
 * in the store's place is another inode: a store whose stat still matches the record holds
 * the pages that passed the check, and the next open need not read them all again. Anything
 * else -- no record, another file, a change, a WAL with frames beside it -- is checked. */
#ifndef KC_STORE_CLOSED_H
#define KC_STORE_CLOSED_H

/* 1 when path is, by its stat, the file the record describes and no WAL frames are beside it. */
int kc_store_closed_unchanged(const char *path);
/* After a checked store was closed: records its stat (atomically, mode 0600); when frames
 * are still in its WAL (another connection is open) the record is removed instead. */
void kc_store_closed_note(const char *path);
/* Removes the record (a connection that did not check the store wrote to it). */
void kc_store_closed_forget(const char *path);

#endif
