// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabuf-example: the README's example of libpallocbits.  A 2 MiB run,
 * 2 MiB aligned, mapped, shared as a dma-buf, written between syncs, freed.
 * Needs /dev/pallocbits (make user only builds it).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/libpallocbits.h"

int main(void)
{
	struct pallocbits_buf buf;
	int fd = pallocbits_open(0), dmabuf = -1;
	int err = fd < 0 ? fd : pallocbits_alloc(fd, 512, 512, 0, &buf);	/* 2 MiB, aligned */

	if (!err)
		err = pallocbits_map(fd, &buf, PROT_READ | PROT_WRITE);
	if (!err)
		dmabuf = pallocbits_export(fd, &buf, O_RDWR | O_CLOEXEC);	/* for a driver */
	if (err || dmabuf < 0) {
		fprintf(stderr, "pallocbits: %s\n", strerror(err ? -err : -dmabuf));
		return 1;
	}
	pallocbits_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	strcpy(buf.addr, "hello, device");		/* CPU access between the syncs */
	pallocbits_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	printf("%zu bytes at offset 0x%llx: dma-buf fd %d\n", buf.len,
	       (unsigned long long)buf.offset, dmabuf);
	pallocbits_free(fd, &buf);	/* the dma-buf still holds the run */
	close(dmabuf);			/* its last holder: now the pages are free */
	return 0;
}
