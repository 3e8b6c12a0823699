/* SPDX-License-Identifier: MIT */
/*
 * proc.h — reading one number from the kernel's small text files (/proc,
 * /sys): a sysctl's value, a field of /proc/<pid>/status. Not installed.
 */
#ifndef UMX_INTERNAL_PROC_H
#define UMX_INTERNAL_PROC_H

/*
 * The number at the start of the file at @path, or with @key that of the
 * line starting with @key (such as "PPid:" in /proc/<pid>/status; blanks
 * after the key are skipped). The file's first 4 KiB are read. Returns 0
 * with *val set, or -errno with *val untouched: the open's or read's,
 * -ENOENT when no line has @key, -EINVAL when no number stands there.
 */
int umx_proc_read_num(const char *path, const char *key, long *val);

#endif /* UMX_INTERNAL_PROC_H */
