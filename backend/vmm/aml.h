/* A small builder for ACPI Machine Language (AML) byte code: just enough to
 * write the DSDT of a virtty-vmm machine (names, devices, methods, resources). */
#ifndef VIRTTY_VMM_AML_H
#define VIRTTY_VMM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AML is prefix notation, so most of a DSDT is written by emitting an
 * opcode and then its operands in order. Opcodes the builder has no helper
 * for are emitted with aml_op(). */
enum aml_opcode {
	AML_OP_ZERO = 0x00,
	AML_OP_ONE = 0x01,
	AML_OP_RETURN = 0xA4,
	AML_OP_STORE = 0x70,
	AML_OP_AND = 0x7B,
	AML_OP_OR = 0x7D,
	AML_OP_NOT = 0x80,
	AML_OP_CREATE_DWORD_FIELD = 0x8A,
	AML_OP_LAND = 0x90,
	AML_OP_LNOT = 0x92,
	AML_OP_LEQUAL = 0x93,
};

/* Flags of an Extended Interrupt descriptor (ACPI 6.x, 6.4.3.6). */
#define AML_IRQ_CONSUMER   0x01
#define AML_IRQ_EDGE	   0x02 /* clear: level-triggered */
#define AML_IRQ_ACTIVE_LOW 0x04 /* clear: active high */
#define AML_IRQ_SHARED	   0x08 /* clear: exclusive */

#define AML_MAX_DEPTH 16

/* The builder keeps the first error and ignores everything after it, so a
 * table can be written as straight-line code and checked once at the end
 * with aml_finish(). */
struct aml {
	uint8_t *buf;
	size_t len, cap;
	struct {
		size_t start; /* offset of the first byte after the opcode */
		int kind;     /* what aml_end() must insert at start */
	} open[AML_MAX_DEPTH];
	int depth;
	int err; /* 0 or the first negative errno */
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/* 0 if every construct was closed and nothing failed, else a negative
 * errno: -ENOMEM, -EINVAL (bad name, string or argument), -E2BIG. */
int aml_finish(const struct aml *a);

/* Raw bytes: opcodes without a helper, or their fixed operands. */
void aml_op(struct aml *a, uint8_t opcode);
void aml_bytes(struct aml *a, const void *data, size_t len);

/* NameString: "\\_SB.PCI0", "PWRB", "^PCI0.S00"; segments of 1 to 4
 * characters from A-Z, 0-9, _ (not starting with a digit), padded with _. */
void aml_namestring(struct aml *a, const char *path);
/* Data objects. aml_integer picks the shortest encoding. */
void aml_integer(struct aml *a, uint64_t value);
void aml_string(struct aml *a, const char *s);
/* EISA id such as "PNP0A08", encoded as the DWord firmware uses. */
void aml_eisaid(struct aml *a, const char *id);
/* ToUUID("33DB4D5B-1FF7-401C-9657-7441C03DD766"): a 16-byte Buffer. */
void aml_uuid(struct aml *a, const char *uuid);
void aml_buffer(struct aml *a, const void *data, size_t len);
void aml_arg(struct aml *a, int n);   /* Arg0..Arg6 */
void aml_local(struct aml *a, int n); /* Local0..Local7 */

/* Name(name, <the data object emitted next>). */
void aml_name(struct aml *a, const char *name);
/* Notify(path, value). */
void aml_notify(struct aml *a, const char *path, uint64_t value);

/* Constructs with a body, each closed by aml_end(). */
void aml_scope_begin(struct aml *a, const char *path);
void aml_device_begin(struct aml *a, const char *path);
void aml_method_begin(struct aml *a, const char *name, int nargs, bool serialized);
/* Package(n) { the n data objects emitted next }. */
void aml_package_begin(struct aml *a, int nelems);
/* If (<predicate emitted next>) { ... }; Else { ... } right after it. */
void aml_if_begin(struct aml *a);
void aml_else_begin(struct aml *a);
/* ResourceTemplate() { aml_res_* descriptors }: aml_end() adds the End Tag. */
void aml_restemplate_begin(struct aml *a);
void aml_end(struct aml *a);

/* Resource descriptors, only inside aml_restemplate_begin()/aml_end(). */
/* IO(Decode16, base, base, 1, len) */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
/* IRQNoFlags() { irq } (ISA style: edge, active high) */
void aml_res_irq(struct aml *a, unsigned int irq);
/* Interrupt(..) { gsi } with AML_IRQ_* flags */
void aml_res_ext_irq(struct aml *a, uint32_t gsi, uint8_t flags);
/* WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, ...) */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
/* WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, ...) */
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
/* DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable
 * or Cacheable, ReadWrite, ...) */
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max, bool cacheable);
/* Memory32Fixed(ReadWrite, base, len) */
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);

#endif
