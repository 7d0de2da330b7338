/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pallocbits tracepoints: events/pallocbits/ in tracefs, for ftrace,
 * trace-cmd and perf.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pallocbits

#if !defined(_PALLOC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PALLOC_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(palloc_alloc,
	    TP_PROTO(u64 npages, u64 align, u64 start, u64 scav, bool cached),
	    TP_ARGS(npages, align, start, scav, cached),
	    TP_STRUCT__entry(__field(u64, npages)
			     __field(u64, align)
			     __field(u64, start)
			     __field(u64, scav)
			     __field(bool, cached)),
	    TP_fast_assign(__entry->npages = npages;
			   __entry->align = align;
			   __entry->start = start;
			   __entry->scav = scav;
			   __entry->cached = cached;),
	    TP_printk("npages=%llu align=%llu start=%llu scavenged=%llu path=%s",
		      __entry->npages, __entry->align, __entry->start, __entry->scav,
		      __entry->cached ? "cache" : "heap")
);

TRACE_EVENT(palloc_alloc_fail,
	    TP_PROTO(u64 npages, u64 align, u64 largest_free),
	    TP_ARGS(npages, align, largest_free),
	    TP_STRUCT__entry(__field(u64, npages)
			     __field(u64, align)
			     __field(u64, largest_free)),
	    TP_fast_assign(__entry->npages = npages;
			   __entry->align = align;
			   __entry->largest_free = largest_free;),
	    TP_printk("npages=%llu align=%llu largest_free=%llu",
		      __entry->npages, __entry->align, __entry->largest_free)
);

/* A range of pages and the result of what was done to it. */
DECLARE_EVENT_CLASS(palloc_range,
		    TP_PROTO(u64 start, u64 npages, int ret),
		    TP_ARGS(start, npages, ret),
		    TP_STRUCT__entry(__field(u64, start)
				     __field(u64, npages)
				     __field(int, ret)),
		    TP_fast_assign(__entry->start = start;
				   __entry->npages = npages;
				   __entry->ret = ret;),
		    TP_printk("start=%llu npages=%llu ret=%d",
			      __entry->start, __entry->npages, __entry->ret)
);

DEFINE_EVENT(palloc_range, palloc_free,
	     TP_PROTO(u64 start, u64 npages, int ret),
	     TP_ARGS(start, npages, ret));

TRACE_EVENT(palloc_scavenge,
	    TP_PROTO(u64 requested, u64 released, bool force, u64 ns),
	    TP_ARGS(requested, released, force, ns),
	    TP_STRUCT__entry(__field(u64, requested)
			     __field(u64, released)
			     __field(bool, force)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->requested = requested;
			   __entry->released = released;
			   __entry->force = force;
			   __entry->ns = ns;),
	    TP_printk("requested=%llu released=%llu force=%d ns=%llu",
		      __entry->requested, __entry->released, __entry->force, __entry->ns)
);

/* An elastic heap gave a chunk back to the kernel (ret: the callback's). */
DEFINE_EVENT(palloc_range, palloc_hand_back,
	     TP_PROTO(u64 start, u64 npages, int ret),
	     TP_ARGS(start, npages, ret));

TRACE_EVENT(palloc_grow,
	    TP_PROTO(u64 start, u64 npages, int ret, u64 ns),
	    TP_ARGS(start, npages, ret, ns),
	    TP_STRUCT__entry(__field(u64, start)
			     __field(u64, npages)
			     __field(int, ret)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->start = start;
			   __entry->npages = npages;
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("start=%llu npages=%llu ret=%d ns=%llu",
		      __entry->start, __entry->npages, __entry->ret, __entry->ns)
);

#endif /* _PALLOC_TRACE_H */

/* The header's directory is on the include path (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE palloc_trace
#include <trace/define_trace.h>
