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

static int fail(const char *what, int err)
{
	fprintf(stderr, "dmabuf-example: %s: %s\n", what, strerror(-err));
	return 1;
}

int main(void)
{
	struct pallocbits_buf buf;
	int fd, dmabuf, ret;

	fd = pallocbits_open(0);
	if (fd < 0)
		return fail("open", fd);
	ret = pallocbits_alloc(fd, 512, 512, 0, &buf);	/* 512 pages, 2 MiB aligned */
	if (!ret)
		ret = pallocbits_map(fd, &buf, PROT_READ | PROT_WRITE);
	if (ret)
		return fail("alloc", ret);
	dmabuf = pallocbits_export(fd, &buf, O_RDWR | O_CLOEXEC);
	if (dmabuf < 0)
		return fail("export", dmabuf);
	ret = pallocbits_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	strcpy(buf.addr, "hello, device");		/* CPU access between the syncs */
	if (!ret)
		ret = pallocbits_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	if (ret)
		return fail("sync", ret);
	printf("%zu bytes at offset 0x%llx, dma-buf fd %d: \"%s\"\n", buf.len,
	       (unsigned long long)buf.offset, dmabuf, (char *)buf.addr);
	ret = pallocbits_free(fd, &buf);		/* the dma-buf still holds the run */
	close(dmabuf);					/* its last holder: now it is free */
	close(fd);
	return ret ? fail("free", ret) : 0;
}
