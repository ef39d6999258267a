/* AML byte-code builder (ACPI 6.x, section 20 "ACPI Machine Language
 * Specification"): grows one buffer, patching PkgLength fields on aml_end(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aml.h"

/* Encodings from the AML grammar. */
#define AML_NAME_OP	      0x08
#define AML_BYTE_PREFIX	      0x0A
#define AML_WORD_PREFIX	      0x0B
#define AML_DWORD_PREFIX      0x0C
#define AML_STRING_PREFIX     0x0D
#define AML_QWORD_PREFIX      0x0E
#define AML_SCOPE_OP	      0x10
#define AML_BUFFER_OP	      0x11
#define AML_PACKAGE_OP	      0x12
#define AML_METHOD_OP	      0x14
#define AML_DUAL_NAME_PREFIX  0x2E
#define AML_MULTI_NAME_PREFIX 0x2F
#define AML_EXT_OP_PREFIX     0x5B
#define AML_DEVICE_OP	      0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR	      0x5C
#define AML_PARENT_CHAR	      0x5E
#define AML_LOCAL0_OP	      0x60
#define AML_ARG0_OP	      0x68
#define AML_NOTIFY_OP	      0x86
#define AML_IF_OP	      0xA0
#define AML_ELSE_OP	      0xA1

/* Resource descriptor tags (ACPI 6.x, 6.4). */
#define AML_RES_IRQ_NOFLAGS 0x22 /* small, 2 data bytes */
#define AML_RES_IO	    0x47 /* small, 7 data bytes */
#define AML_RES_END_TAG	    0x79 /* small, 1 data byte */
#define AML_RES_MEM32_FIXED 0x86
#define AML_RES_DWORD_ADDR  0x87
#define AML_RES_WORD_ADDR   0x88
#define AML_RES_EXT_IRQ	    0x89

#define AML_ADDR_TYPE_MEM 0
#define AML_ADDR_TYPE_IO  1
#define AML_ADDR_TYPE_BUS 2
/* General flags of address space descriptors: producer, positive decode,
 * minimum and maximum fixed. */
#define AML_ADDR_FLAGS_FIXED_PRODUCER 0x0C

/* What aml_end() inserts in front of a construct's body. */
enum aml_kind {
	AML_KIND_PKGLEN,     /* PkgLength */
	AML_KIND_BUFFER,     /* PkgLength, BufferSize */
	AML_KIND_RESTEMPLATE /* End Tag, then as AML_KIND_BUFFER */
};

/* PkgLength can describe up to 2^28 - 1 bytes. */
#define AML_PKGLEN_MAX ((1u << 28) - 1)

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int aml_finish(const struct aml *a)
{
	if (a->err)
		return a->err;
	return a->depth ? -EINVAL : 0;
}

static void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

static bool aml_reserve(struct aml *a, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (a->err)
		return false;
	if (more > AML_PKGLEN_MAX || a->len + more > AML_PKGLEN_MAX) {
		aml_fail(a, -E2BIG);
		return false;
	}
	if (a->len + more <= a->cap)
		return true;
	cap = a->cap ? a->cap : 256;
	while (cap < a->len + more)
		cap *= 2;
	p = realloc(a->buf, cap);
	if (!p) {
		aml_fail(a, -ENOMEM);
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_bytes(struct aml *a, const void *data, size_t len)
{
	if (!aml_reserve(a, len))
		return;
	memcpy(a->buf + a->len, data, len);
	a->len += len;
}

void aml_op(struct aml *a, uint8_t opcode)
{
	aml_bytes(a, &opcode, 1);
}

static void aml_le(struct aml *a, uint64_t v, int nbytes)
{
	uint8_t b[8];

	for (int i = 0; i < nbytes; i++)
		b[i] = v >> (8 * i);
	aml_bytes(a, b, nbytes);
}

/* Encode a PkgLength whose value covers `body` bytes plus itself into out;
 * returns the number of bytes (1 to 4). */
static int aml_pkglen_encode(size_t body, uint8_t out[4])
{
	size_t total;
	int n;

	for (n = 1; n < 4; n++) {
		total = body + n;
		if (n == 1 ? total <= 0x3F : total < (1u << (4 + 8 * (n - 1))))
			break;
	}
	total = body + n;
	if (n == 1) {
		out[0] = total;
		return 1;
	}
	out[0] = ((n - 1) << 6) | (total & 0x0F);
	for (int i = 1; i < n; i++)
		out[i] = total >> (4 + 8 * (i - 1));
	return n;
}

static bool aml_name_char(char c, bool first)
{
	if (c == '_' || (c >= 'A' && c <= 'Z'))
		return true;
	return !first && c >= '0' && c <= '9';
}

void aml_namestring(struct aml *a, const char *path)
{
	char segs[255][4];
	int nsegs = 0;
	const char *p = path;

	if (!path) {
		aml_fail(a, -EINVAL);
		return;
	}
	if (*p == '\\') {
		aml_op(a, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == '^') {
			aml_op(a, AML_PARENT_CHAR);
			p++;
		}
	}
	while (*p) {
		int n = 0;

		if (nsegs == 255) {
			aml_fail(a, -EINVAL);
			return;
		}
		memset(segs[nsegs], '_', 4);
		while (*p && *p != '.') {
			if (n == 4 || !aml_name_char(*p, n == 0)) {
				aml_fail(a, -EINVAL);
				return;
			}
			segs[nsegs][n++] = *p++;
		}
		if (n == 0) { /* empty segment: "..", leading or trailing '.' */
			aml_fail(a, -EINVAL);
			return;
		}
		nsegs++;
		if (*p == '.') {
			p++;
			if (!*p) {
				aml_fail(a, -EINVAL);
				return;
			}
		}
	}
	if (nsegs == 0) {
		aml_op(a, 0x00); /* NullName: just the root or parent prefixes */
		return;
	}
	if (nsegs == 2) {
		aml_op(a, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		aml_op(a, AML_MULTI_NAME_PREFIX);
		aml_op(a, nsegs);
	}
	aml_bytes(a, segs, 4 * (size_t)nsegs);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_op(a, AML_OP_ZERO);
	} else if (v == 1) {
		aml_op(a, AML_OP_ONE);
	} else if (v <= 0xFF) {
		aml_op(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xFFFF) {
		aml_op(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xFFFFFFFF) {
		aml_op(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_op(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	if (!s) {
		aml_fail(a, -EINVAL);
		return;
	}
	/* AML strings are ASCII 0x01..0x7F, NUL-terminated. */
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p > 0x7F) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	aml_op(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int aml_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint16_t vendor = 0, product = 0;
	uint8_t b[4];

	if (!id || strlen(id) != 7) {
		aml_fail(a, -EINVAL);
		return;
	}
	/* Three letters of five bits each, then four hex digits. */
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			aml_fail(a, -EINVAL);
			return;
		}
		vendor = (vendor << 5) | (id[i] - 0x40);
	}
	for (int i = 3; i < 7; i++) {
		int d = aml_hex_digit(id[i]);

		if (d < 0) {
			aml_fail(a, -EINVAL);
			return;
		}
		product = (product << 4) | d;
	}
	/* Stored big-endian within the DWord, as EisaId() compiles. */
	b[0] = vendor >> 8;
	b[1] = vendor;
	b[2] = product >> 8;
	b[3] = product;
	aml_op(a, AML_DWORD_PREFIX);
	aml_bytes(a, b, 4);
}

void aml_uuid(struct aml *a, const char *uuid)
{
	/* Byte order of ToUUID(): the first three groups little-endian, the
	 * last two as written. Index = position of each byte's hex pair. */
	static const int pos[16] = {6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34};
	uint8_t b[16];

	if (!uuid || strlen(uuid) != 36 || uuid[8] != '-' || uuid[13] != '-' || uuid[18] != '-' ||
	    uuid[23] != '-') {
		aml_fail(a, -EINVAL);
		return;
	}
	for (int i = 0; i < 16; i++) {
		int hi = aml_hex_digit(uuid[pos[i]]), lo = aml_hex_digit(uuid[pos[i] + 1]);

		if (hi < 0 || lo < 0) {
			aml_fail(a, -EINVAL);
			return;
		}
		b[i] = hi << 4 | lo;
	}
	aml_buffer(a, b, sizeof(b));
}

void aml_arg(struct aml *a, int n)
{
	if (n < 0 || n > 6) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_op(a, AML_ARG0_OP + n);
}

void aml_local(struct aml *a, int n)
{
	if (n < 0 || n > 7) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_op(a, AML_LOCAL0_OP + n);
}

void aml_name(struct aml *a, const char *name)
{
	aml_op(a, AML_NAME_OP);
	aml_namestring(a, name);
}

void aml_notify(struct aml *a, const char *path, uint64_t value)
{
	aml_op(a, AML_NOTIFY_OP);
	aml_namestring(a, path);
	aml_integer(a, value);
}

static void aml_open(struct aml *a, enum aml_kind kind)
{
	if (a->err)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		aml_fail(a, -E2BIG);
		return;
	}
	a->open[a->depth].start = a->len;
	a->open[a->depth].kind = kind;
	a->depth++;
}

void aml_buffer(struct aml *a, const void *data, size_t len)
{
	aml_op(a, AML_BUFFER_OP);
	aml_open(a, AML_KIND_BUFFER);
	aml_bytes(a, data, len);
	aml_end(a);
}

void aml_scope_begin(struct aml *a, const char *path)
{
	aml_op(a, AML_SCOPE_OP);
	aml_open(a, AML_KIND_PKGLEN);
	aml_namestring(a, path);
}

void aml_device_begin(struct aml *a, const char *path)
{
	aml_op(a, AML_EXT_OP_PREFIX);
	aml_op(a, AML_DEVICE_OP);
	aml_open(a, AML_KIND_PKGLEN);
	aml_namestring(a, path);
}

void aml_method_begin(struct aml *a, const char *name, int nargs, bool serialized)
{
	if (nargs < 0 || nargs > 7) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_op(a, AML_METHOD_OP);
	aml_open(a, AML_KIND_PKGLEN);
	aml_namestring(a, name);
	/* MethodFlags: ArgCount in bits 0-2, SerializeFlag bit 3, SyncLevel 0. */
	aml_op(a, nargs | (serialized ? 0x08 : 0));
}

void aml_package_begin(struct aml *a, int nelems)
{
	if (nelems < 0 || nelems > 255) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_op(a, AML_PACKAGE_OP);
	aml_open(a, AML_KIND_PKGLEN);
	aml_op(a, nelems);
}

void aml_if_begin(struct aml *a)
{
	aml_op(a, AML_IF_OP);
	aml_open(a, AML_KIND_PKGLEN);
}

void aml_else_begin(struct aml *a)
{
	aml_op(a, AML_ELSE_OP);
	aml_open(a, AML_KIND_PKGLEN);
}

void aml_restemplate_begin(struct aml *a)
{
	aml_op(a, AML_BUFFER_OP);
	aml_open(a, AML_KIND_RESTEMPLATE);
}

void aml_end(struct aml *a)
{
	uint8_t head[4 + 9];
	size_t start, body;
	int n = 0;
	enum aml_kind kind;

	if (a->err)
		return;
	if (a->depth == 0) {
		aml_fail(a, -EINVAL);
		return;
	}
	kind = a->open[a->depth - 1].kind;
	if (kind == AML_KIND_RESTEMPLATE) {
		/* Checksum 0: "the template is to be treated as correct". */
		static const uint8_t end_tag[2] = {AML_RES_END_TAG, 0};

		aml_bytes(a, end_tag, sizeof(end_tag));
		if (a->err)
			return;
	}
	a->depth--;
	start = a->open[a->depth].start;
	body = a->len - start;
	if (kind == AML_KIND_PKGLEN) {
		n = aml_pkglen_encode(body, head);
	} else {
		/* BufferSize is a TermArg: encode it like any integer, then
		 * the PkgLength covers it and the bytes. */
		struct aml size;
		uint8_t sz[9];
		size_t szlen;

		aml_init(&size);
		aml_integer(&size, body);
		if (size.err) {
			aml_fail(a, size.err);
			aml_free(&size);
			return;
		}
		szlen = size.len;
		memcpy(sz, size.buf, szlen);
		aml_free(&size);
		n = aml_pkglen_encode(body + szlen, head);
		memcpy(head + n, sz, szlen);
		n += szlen;
	}
	if (body + n > AML_PKGLEN_MAX) {
		aml_fail(a, -E2BIG);
		return;
	}
	if (!aml_reserve(a, n))
		return;
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, head, n);
	a->len += n;
}

/* Descriptors are only meaningful inside a ResourceTemplate. */
static bool aml_in_restemplate(struct aml *a)
{
	if (a->err)
		return false;
	if (a->depth == 0 || a->open[a->depth - 1].kind != AML_KIND_RESTEMPLATE) {
		aml_fail(a, -EINVAL);
		return false;
	}
	return true;
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	if (!aml_in_restemplate(a))
		return;
	aml_op(a, AML_RES_IO);
	aml_op(a, 0x01); /* decodes 16 address bits */
	aml_le(a, base, 2);
	aml_le(a, base, 2);
	aml_op(a, 1); /* alignment */
	aml_op(a, len);
}

void aml_res_irq(struct aml *a, unsigned int irq)
{
	if (!aml_in_restemplate(a))
		return;
	if (irq > 15) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_op(a, AML_RES_IRQ_NOFLAGS);
	aml_le(a, 1u << irq, 2);
}

void aml_res_ext_irq(struct aml *a, uint32_t gsi, uint8_t flags)
{
	if (!aml_in_restemplate(a))
		return;
	aml_op(a, AML_RES_EXT_IRQ);
	aml_le(a, 6, 2); /* flags, count, one DWord */
	aml_op(a, flags);
	aml_op(a, 1);
	aml_le(a, gsi, 4);
}

static void aml_res_word_addr(struct aml *a, uint8_t type, uint8_t type_flags, uint16_t min,
			      uint16_t max)
{
	if (!aml_in_restemplate(a))
		return;
	if (max < min) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_op(a, AML_RES_WORD_ADDR);
	aml_le(a, 13, 2);
	aml_op(a, type);
	aml_op(a, AML_ADDR_FLAGS_FIXED_PRODUCER);
	aml_op(a, type_flags);
	aml_le(a, 0, 2); /* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2); /* translation offset */
	aml_le(a, (uint32_t)max - min + 1, 2);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	if (max == 0xFFFF && min == 0) { /* the length would not fit a Word */
		aml_fail(a, -EINVAL);
		return;
	}
	aml_res_word_addr(a, AML_ADDR_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	if (max == 0xFFFF && min == 0) {
		aml_fail(a, -EINVAL);
		return;
	}
	/* Type flags: ISA and non-ISA ranges (EntireRange). */
	aml_res_word_addr(a, AML_ADDR_TYPE_IO, 0x03, min, max);
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max, bool cacheable)
{
	if (!aml_in_restemplate(a))
		return;
	if (max < min || (min == 0 && max == 0xFFFFFFFF)) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_op(a, AML_RES_DWORD_ADDR);
	aml_le(a, 23, 2);
	aml_op(a, AML_ADDR_TYPE_MEM);
	aml_op(a, AML_ADDR_FLAGS_FIXED_PRODUCER);
	/* Type flags: read-write, memory attribute in bits 1-2. */
	aml_op(a, 0x01 | (cacheable ? 0x02 : 0));
	aml_le(a, 0, 4); /* granularity */
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4); /* translation offset */
	aml_le(a, (uint64_t)max - min + 1, 4);
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	if (!aml_in_restemplate(a))
		return;
	aml_op(a, AML_RES_MEM32_FIXED);
	aml_le(a, 9, 2);
	aml_op(a, 0x01); /* read-write */
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}
