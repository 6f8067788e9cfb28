// The module decoder's readers for types and constant expressions: value and reference types
// (refusing, by name, the encodings of proposals that are not enabled or that wisp cannot
// represent yet), table, memory and global types with their limits, and constant expressions
// (WebAssembly 2.0's, plus extended-const arithmetic and SIMD's v128.const when enabled).
#include <cstdio>
#include <string>

#include "compile/front/decoder_internal.hpp"
#include "compile/front/module_decoder.hpp"
#include "compile/front/opcodes.hpp"

namespace wisp::detail::front {

namespace {

// The feature bookkeeping of the type readers: the decoder's and the function validator's.
struct TypeFeatures {
  FeatureSet enabled;
  FeatureSet& used;
  void use(Feature f, size_t offset, const std::string& what) {
    if (!enabled.has(f)) refuse(f, offset, what);
    used.add(f);
  }
  // A proposal wisp's declarations cannot represent yet: refused by name when not enabled.
  [[noreturn]] void unsupported(Feature f, size_t offset, const std::string& what) {
    if (!enabled.has(f)) refuse(f, offset, what);
    fail_at(offset, what + " (" + feature_name(f) + " proposal) is not supported yet");
  }
};

std::string hex_byte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

// The heap type of (ref ht) / (ref null ht) (typed function references and GC), already read as
// an s33: refused by the proposal it needs.
[[noreturn]] void refuse_heap_type(TypeFeatures& c, int64_t ht, size_t at, const char* what) {
  // Abstract heap types are the one-byte encodings read as negative s33 values.
  if (ht >= 0 || ht == -0x10 /* func */ || ht == -0x11 /* extern */ || ht == -0x17 /* exn */)
    c.unsupported(Feature::function_references, at, what);
  if (ht == -0x18 /* cont */ || ht == -0x0b /* nocont */)
    c.unsupported(Feature::stack_switching, at, what);
  if ((ht >= -0x16 && ht <= -0x12) || (ht >= -0x0f && ht <= -0x0c))  // any..array, none..noexn
    c.unsupported(Feature::gc, at, what);
  fail_at(at, "malformed heap type");
}

// Value and reference type encodings beyond WebAssembly 2.0 and exnref: refused by proposal.
// Returns only if `b` is none of them.
void refuse_proposal_type(TypeFeatures& c, Reader& r, uint8_t b, size_t at) {
  switch (b) {
    case 0x64:  // (ref ht)
    case 0x63:  // (ref null ht)
      refuse_heap_type(c, r.s33(), at, "a typed reference type");
    case 0x6e:  // anyref
    case 0x6d:  // eqref
    case 0x6c:  // i31ref
    case 0x6b:  // structref
    case 0x6a:  // arrayref
    case 0x71:  // nullref
    case 0x72:  // nullexternref
    case 0x73:  // nullfuncref
    case 0x74:  // nullexnref
      c.unsupported(Feature::gc, at, "the GC reference type " + hex_byte(b));
    case 0x68:  // contref
    case 0x75:  // nullcontref
      c.unsupported(Feature::stack_switching, at, "the continuation reference type " + hex_byte(b));
    default:
      break;
  }
  // The spec reads type codes as one-byte signed LEB128: a continuation bit makes it too long.
  if (b & 0x80) fail_at(at, "integer representation too long");
}

}  // namespace

uint32_t read_decl_count(Reader& r, size_t already, const char* what) {
  size_t at = r.pos();
  uint32_t n = r.u32();
  if (already + n > kMaxDeclItems)
    fail_at(at, "module declares " + std::to_string(already + n) + " " + what + " (limit " +
                    std::to_string(kMaxDeclItems) + ")");
  return n;
}

ValType read_value_type(Reader& r, FeatureSet enabled, FeatureSet& used) {
  TypeFeatures c{enabled, used};
  size_t at = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x7f:
    case 0x7e:
    case 0x7d:
    case 0x7c:
    case 0x70:
    case 0x6f:
      return static_cast<ValType>(b);
    case 0x7b:
      c.use(Feature::simd, at, "the v128 type");
      return ValType::v128;
    case 0x69:
      c.use(Feature::exnref, at, "the exnref type");
      return ValType::exnref;
    default:
      refuse_proposal_type(c, r, b, at);
      fail_at(at, "malformed value type " + hex_byte(b));
  }
}

ValType read_ref_type(Reader& r, FeatureSet enabled, FeatureSet& used) {
  TypeFeatures c{enabled, used};
  size_t at = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x70:
    case 0x6f:
      return static_cast<ValType>(b);
    case 0x69:
      c.use(Feature::exnref, at, "the exnref type");
      return ValType::exnref;
    default:
      refuse_proposal_type(c, r, b, at);
      fail_at(at, "malformed reference type " + hex_byte(b));
  }
}

// ref.null's immediate: a heap type (one byte in WebAssembly 2.0, an s33 with typed references).
ValType read_heap_type(Reader& r, FeatureSet enabled, FeatureSet& used) {
  TypeFeatures c{enabled, used};
  size_t at = r.pos();
  uint8_t b = r.peek();
  if (b == 0x70 || b == 0x6f || b == 0x69) return read_ref_type(r, enabled, used);
  int64_t ht = r.s33();
  if (ht >= 0 || (ht >= -0x18 && ht <= -0x0b)) refuse_heap_type(c, ht, at, "ref.null of this type");
  fail_at(at, "malformed reference type " + hex_byte(b));
}

namespace {

// Limits flags: bit 0 a maximum, bit 1 shared (threads, memories only), bit 2 64-bit
// (memory64), bit 3 a custom page size (memories only). With memory64 enabled the bounds are
// u64 LEB128 whatever the address type (as that proposal encodes them); range checks follow.
Limits read_limits(DecodeContext& c, Reader& r, bool memory) {
  size_t at = r.pos();
  uint8_t flags = r.u8();
  // WebAssembly 2.0 reads the flags as a LEB128 integer: a continuation bit makes it too long.
  if (flags & 0x80) fail_at(at, "integer representation too long (limits flags)");
  const uint8_t known = memory ? 0x0f : 0x05;
  if (flags & ~known) fail_at(at, "malformed limits flags " + hex_byte(flags));
  Limits l;
  l.has_max = flags & 0x01;
  if (flags & 0x02) {
    c.use(Feature::threads, at, "a shared memory");
    l.shared = true;
  }
  if (flags & 0x04) {
    c.use(Feature::memory64, at, memory ? "a 64-bit memory" : "a 64-bit table");
    l.is64 = true;
  }
  if (flags & 0x08) c.unsupported(Feature::custom_page_sizes, at, "a custom page size");
  const unsigned bits = l.is64 || c.enabled.has(Feature::memory64) ? 64 : 32;
  l.min = r.uleb(bits);
  if (l.has_max) l.max = r.uleb(bits);
  return l;
}

}  // namespace

TableType read_table_type(DecodeContext& c, Reader& r) {
  TableType t;
  t.elem = read_ref_type(c, r);
  size_t at = r.pos();
  t.limits = read_limits(c, r, false);
  if (!t.limits.is64 && (t.limits.min > UINT32_MAX || t.limits.max > UINT32_MAX))
    fail_at(at, "table size must be at most 2^32-1");
  if (t.limits.has_max && t.limits.min > t.limits.max)
    fail_at(at, "size minimum must not be greater than maximum");
  return t;
}

MemoryType read_memory_type(DecodeContext& c, Reader& r) {
  size_t at = r.pos();
  MemoryType t;
  Limits& l = t.limits;
  l = read_limits(c, r, true);
  const uint64_t max_pages = l.is64 ? uint64_t(1) << 48 : 65536;
  if (l.min > max_pages || (l.has_max && l.max > max_pages))
    fail_at(at, l.is64 ? "memory size must be at most 2^48 pages (16 EiB)"
                       : "memory size must be at most 65536 pages (4GiB)");
  if (l.has_max && l.min > l.max) fail_at(at, "size minimum must not be greater than maximum");
  if (l.shared && !l.has_max) fail_at(at, "shared memory must have maximum");
  return t;
}

GlobalType read_global_type(DecodeContext& c, Reader& r) {
  GlobalType g;
  g.type = read_val_type(c, r);
  size_t at = r.pos();
  uint8_t mut = r.u8();
  if (mut > 1) fail_at(at, "malformed mutability " + hex_byte(mut));
  g.mut = mut == 1;
  return g;
}

namespace {

void mark_declared(ModuleDecl& m, uint32_t func) {
  if (m.declared_refs.size() < m.funcs.size()) m.declared_refs.resize(m.funcs.size());
  m.declared_refs[func] = 1;
}

std::string stack_types(const std::vector<ValType>& stack) {
  std::string s = "[";
  for (size_t i = 0; i < stack.size(); ++i) {
    if (i) s += " ";
    s += val_type_name(stack[i]);
  }
  return s + "]";
}

[[noreturn]] void not_constant(size_t at, const OpInfo* info) {
  fail_at(at, std::string("constant expression required") +
                  (info ? std::string(": ") + info->text + " is not a constant instruction" : ""));
}

}  // namespace

ConstExpr read_const_expr(DecodeContext& c, Reader& r, ValType expected) {
  ConstExpr e;
  e.offset = static_cast<uint32_t>(r.pos());
  std::vector<ValType>& stack = c.stack;
  stack.clear();
  unsigned ops = 0;
  size_t at;
  for (;;) {
    at = r.pos();
    uint8_t op = r.u8();
    if (op == 0x0b) break;  // end
    ++ops;
    switch (op) {
      case 0x41:  // i32.const
        e.kind = ConstExpr::Kind::i32;
        e.value = static_cast<uint32_t>(r.s32());
        stack.push_back(ValType::i32);
        break;
      case 0x42:  // i64.const
        e.kind = ConstExpr::Kind::i64;
        e.value = static_cast<uint64_t>(r.s64());
        stack.push_back(ValType::i64);
        break;
      case 0x43:  // f32.const
        e.kind = ConstExpr::Kind::f32;
        e.value = r.f32_bits();
        stack.push_back(ValType::f32);
        break;
      case 0x44:  // f64.const
        e.kind = ConstExpr::Kind::f64;
        e.value = r.f64_bits();
        stack.push_back(ValType::f64);
        break;
      case 0xd0:  // ref.null
        e.kind = ConstExpr::Kind::ref_null;
        stack.push_back(read_heap_type(r, c.enabled, c.m.features));
        break;
      case 0xd2: {  // ref.func
        uint32_t f = read_index(r, c.m.funcs.size(), "function");
        mark_declared(c.m, f);
        e.kind = ConstExpr::Kind::ref_func;
        e.value = f;
        stack.push_back(ValType::funcref);
        break;
      }
      case 0x23: {  // global.get: WebAssembly 2.0 allows imported immutable globals only
        size_t gat = r.pos();
        uint32_t g = r.u32();
        if (g >= c.m.num_imported_globals) fail_at(gat, "unknown global " + std::to_string(g));
        if (c.m.globals[g].mut)
          fail_at(at, "constant expression required: global " + std::to_string(g) + " is mutable");
        e.kind = ConstExpr::Kind::global_get;
        e.value = g;
        stack.push_back(c.m.globals[g].type);
        break;
      }
      case 0x6a:    // i32.add
      case 0x6b:    // i32.sub
      case 0x6c:    // i32.mul
      case 0x7c:    // i64.add
      case 0x7d:    // i64.sub
      case 0x7e: {  // i64.mul
        const bool is32 = op <= 0x6c;
        c.use(Feature::extended_const, at,
              std::string(is32 ? "i32" : "i64") + " arithmetic in a constant expression");
        const ValType t = is32 ? ValType::i32 : ValType::i64;
        if (stack.size() < 2 || stack[stack.size() - 1] != t || stack[stack.size() - 2] != t)
          fail_at(at, std::string("type mismatch: ") + val_type_name(t) + " arithmetic on " +
                          stack_types(stack));
        stack.pop_back();
        break;
      }
      case 0xfd: {  // SIMD: only v128.const is constant
        uint32_t sub = r.u32();
        if (sub != 12) not_constant(at, find_op((uint32_t{0xfd} << 16) | sub));
        c.use(Feature::simd, at, "v128.const");
        e.kind = ConstExpr::Kind::v128;
        r.skip(16);  // the value stays in the module's bytes
        stack.push_back(ValType::v128);
        break;
      }
      case 0xfb:  // GC: struct.new, array.new, ref.i31, ... are constant there
        c.unsupported(Feature::gc, at, "a GC instruction in a constant expression");
      case 0xfc:
      case 0xfe:
        not_constant(at, find_op((uint32_t{op} << 16) | r.u32()));
      default: {
        const OpInfo* info = find_op(op);
        if (!info) fail_at(at, "illegal opcode " + hex_byte(op));
        not_constant(at, info);
      }
    }
  }
  if (stack.size() != 1 || stack[0] != expected)
    fail_at(at, std::string("type mismatch: expected [") + val_type_name(expected) +
                    "] but the constant expression has " + stack_types(stack));
  if (ops > 1) e.kind = ConstExpr::Kind::extended;
  e.type = expected;
  return e;
}

std::vector<ConstStep> const_expr_steps(const ConstExpr& e, std::span<const uint8_t> bytes) {
  Reader r(bytes, e.offset, bytes.size());  // validated: ends at its `end`
  std::vector<ConstStep> steps;
  for (;;) {
    const size_t at = r.pos();
    switch (r.u8()) {
      case 0x0b:
        return steps;
      case 0x41:
        steps.push_back({ConstStep::i32, static_cast<uint32_t>(r.s32())});
        break;
      case 0x42:
        steps.push_back({ConstStep::i64, static_cast<uint64_t>(r.s64())});
        break;
      case 0x23:
        steps.push_back({ConstStep::global_get, r.u32()});
        break;
      case 0x6a:
      case 0x7c:
        steps.push_back({ConstStep::add, 0});
        break;
      case 0x6b:
      case 0x7d:
        steps.push_back({ConstStep::sub, 0});
        break;
      case 0x6c:
      case 0x7e:
        steps.push_back({ConstStep::mul, 0});
        break;
      default:
        fail_at(at, "internal: not a numeric constant expression");
    }
  }
}

}  // namespace wisp::detail::front
