/* SPDX-License-Identifier: MIT */
/*
 * tools/zsbench/peer_proto.h - how the trace reaches a peer child.
 *
 * The parent writes this header, the sizes (uint32_t each) right after it,
 * and the raw pages at raw_off (page-aligned) into a memfd; the child maps
 * it read-only.  Results come back as "ZSPEER key=value" lines on stdout.
 */
#ifndef ZSBENCH_PEER_PROTO_H
#define ZSBENCH_PEER_PROTO_H

#include <stdint.h>

#define ZB_PEER_MAGIC 0x7a7362656e636831ull /* "zsbench1" */

struct zb_peer_hdr {
	uint64_t magic;
	uint64_t n; /* sizes */
	uint64_t nraw; /* raw pages for the end-to-end run */
	uint64_t total; /* sum of sizes */
	uint32_t comp; /* enum zb_compressor */
	uint32_t pad;
	uint64_t raw_off;
};

#endif /* ZSBENCH_PEER_PROTO_H */
