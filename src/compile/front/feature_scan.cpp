// The lenient proposal scan (feature_scan.hpp). A bounds-checked Reader does the reading; its
// CompileError on malformed input is caught at the level of one section or one function body,
// which ends that part of the scan. Operators are skipped by their Imm kind from the opcode
// table; the GC operators (prefix 0xfb, not in the table) by a small table of their own.
#include "compile/front/feature_scan.hpp"

#include <cstddef>
#include <cstdint>

#include "compile/front/opcodes.hpp"
#include "compile/front/reader.hpp"
#include "wisp/error.hpp"

namespace wisp::detail::front {
namespace {

// Thrown (and caught) where the scan meets something it does not know: it ends the section or
// the body like a malformed read does.
struct Unknown {
  size_t at;
};

class Scanner {
 public:
  Scanner(std::span<const uint8_t> bytes, ScanReport& report) : bytes_(bytes), report_(report) {}

  FeatureSet run() {
    const uint8_t* b = bytes_.data();
    if (bytes_.size() < 8 || b[0] != 0 || b[1] != 'a' || b[2] != 's' || b[3] != 'm') return {};
    // A component: version 0x0d (pre-release ones had others), layer 1.
    if ((b[6] | (b[7] << 8)) == 1)
      return FeatureSet(static_cast<uint32_t>(Feature::component_model));
    if (b[4] != 1 || b[5] != 0 || b[6] != 0 || b[7] != 0) return {};
    size_t pos = 8;
    while (pos < bytes_.size()) {
      Reader r(bytes_, pos, bytes_.size());
      uint8_t id = 0;
      size_t end = 0;
      try {
        id = r.u8();
        uint32_t size = r.u32();
        // A section that runs past the end is scanned as far as it goes.
        end = size > r.remaining() ? bytes_.size() : r.pos() + size;
      } catch (const CompileError& e) {
        stopped(e.offset());
        break;
      }
      if (id > 13) {  // not a section id of a core module: nothing after it can be trusted
        stopped(pos);
        break;
      }
      Reader s(bytes_, r.pos(), end);
      try {
        section(id, s);
      } catch (const CompileError& e) {
        stopped(e.offset());
      } catch (const Unknown& u) {
        stopped(u.at);
      }
      pos = end;
    }
    if (memories_ > 1) add(Feature::multi_memory);
    return used_;
  }

 private:
  void add(Feature f) { used_.add(f); }
  void stopped(size_t at) {
    if (report_.stopped++ == 0) report_.first_stop = at;
  }

  void section(uint8_t id, Reader& r) {
    switch (id) {
      case 1:
        return type_section(r);
      case 2:
        return import_section(r);
      case 4:
        return repeat(r, [&] { table_type(r); });
      case 5:
        return repeat(r, [&] { memory_type(r); });
      case 6:
        return repeat(r, [&] { global_type(r), const_expr(r); });
      case 7:
        return export_section(r);
      case 9:
        return elem_section(r);
      case 10:
        return code_section(r);
      case 11:
        return data_section(r);
      case 13:
        add(Feature::exceptions);
        return;
      default:
        return;  // custom, function, start, data count: nothing to find
    }
  }

  template <class F>
  void repeat(Reader& r, F&& item) {
    for (uint32_t n = r.count(); n > 0; --n) item();
  }

  // --- types ---------------------------------------------------------------------------------

  // The proposal of an abstract heap type or reference type shorthand by its byte; false if the
  // byte is neither.
  bool abstract_ref(uint8_t b) {
    switch (b) {
      case 0x70:  // func
      case 0x6f:  // extern
        return true;
      case 0x69:  // exn
      case 0x74:  // noexn
        add(Feature::exnref);
        return true;
      case 0x6e:  // any
      case 0x6d:  // eq
      case 0x6c:  // i31
      case 0x6b:  // struct
      case 0x6a:  // array
      case 0x71:  // none
      case 0x72:  // noextern
      case 0x73:  // nofunc
        add(Feature::gc);
        return true;
      case 0x68:  // cont
      case 0x75:  // nocont
        add(Feature::stack_switching);
        return true;
      default:
        return false;
    }
  }

  // A heap type: an abstract one (one byte) or a type index (s33, typed function references).
  void heap_type(Reader& r) {
    uint8_t b = r.peek();
    if ((b & 0xc0) == 0x40) {
      r.u8();
      if (!abstract_ref(b)) throw Unknown{r.pos()};
      return;
    }
    if (r.s33() < 0) throw Unknown{r.pos()};
    add(Feature::function_references);
  }

  void value_type(Reader& r, bool storage = false) {
    uint8_t b = r.u8();
    switch (b) {
      case 0x7f:
      case 0x7e:
      case 0x7d:
      case 0x7c:
        return;
      case 0x7b:
        return add(Feature::simd);
      case 0x64:  // ref ht
      case 0x63:  // ref null ht
        add(Feature::function_references);
        return heap_type(r);
      case 0x78:  // i8
      case 0x77:  // i16
        if (!storage) throw Unknown{r.pos()};
        return add(Feature::gc);
      default:
        if (!abstract_ref(b)) throw Unknown{r.pos()};
    }
  }

  void func_type(Reader& r) {
    repeat(r, [&] { value_type(r); });
    repeat(r, [&] { value_type(r); });
  }
  void field_type(Reader& r) {
    value_type(r, true);
    r.u8();  // mutability
  }

  // A composite type (func, struct, array, cont), after its sub/rec wrapping.
  void comp_type(Reader& r) {
    switch (r.u8()) {
      case 0x60:
        return func_type(r);
      case 0x5f:  // struct
        add(Feature::gc);
        return repeat(r, [&] { field_type(r); });
      case 0x5e:  // array
        add(Feature::gc);
        return field_type(r);
      case 0x5d:  // cont
        add(Feature::stack_switching);
        r.s33();
        return;
      default:
        throw Unknown{r.pos()};
    }
  }
  void sub_type(Reader& r) {
    uint8_t b = r.peek();
    if (b == 0x50 || b == 0x4f) {  // sub / sub final: supertypes, then the composite type
      r.u8();
      add(Feature::gc);
      repeat(r, [&] { r.u32(); });
    }
    comp_type(r);
  }
  void type_section(Reader& r) {
    repeat(r, [&] {
      if (r.peek() == 0x4e) {  // rec group
        r.u8();
        add(Feature::gc);
        repeat(r, [&] { sub_type(r); });
      } else {
        sub_type(r);
      }
    });
  }

  // Limits: flags bit 0 has max, bit 1 shared (threads), bit 2 64-bit (memory64, table64),
  // bit 3 a custom page size.
  void limits(Reader& r) {
    uint8_t flags = r.u8();
    if (flags & ~0x0f) throw Unknown{r.pos()};
    if (flags & 0x02) add(Feature::threads);
    if (flags & 0x04) add(Feature::memory64);
    r.uleb(64);
    if (flags & 0x01) r.uleb(64);
    if (flags & 0x08) {
      add(Feature::custom_page_sizes);
      r.u32();
    }
  }
  void memory_type(Reader& r) {
    limits(r);
    ++memories_;
  }
  void table_type(Reader& r) {
    if (r.peek() == 0x40) {  // a table with an initialiser (typed function references)
      r.u8();
      if (r.u8() != 0) throw Unknown{r.pos()};
      add(Feature::function_references);
      value_type(r);
      limits(r);
      const_expr(r);
      return;
    }
    value_type(r);
    limits(r);
  }
  void global_type(Reader& r) {
    value_type(r);
    uint8_t mut = r.u8();
    if (mut & 0x02) add(Feature::threads);  // shared global
    if (mut & ~0x03) throw Unknown{r.pos()};
  }

  // --- sections ------------------------------------------------------------------------------

  void import_section(Reader& r) {
    repeat(r, [&] {
      r.name();
      r.name();
      switch (r.u8()) {
        case 0:
          r.u32();
          return;
        case 1:
          return table_type(r);
        case 2:
          return memory_type(r);
        case 3:
          return global_type(r);
        case 4:
          return tag_type(r);
        default:
          throw Unknown{r.pos()};
      }
    });
  }
  void tag_type(Reader& r) {
    add(Feature::exceptions);
    r.u8();  // attribute
    r.u32();
  }
  void export_section(Reader& r) {
    repeat(r, [&] {
      r.name();
      uint8_t kind = r.u8();
      if (kind == 4) add(Feature::exceptions);
      if (kind > 4) throw Unknown{r.pos()};
      r.u32();
    });
  }
  void elem_section(Reader& r) {
    repeat(r, [&] {
      uint32_t flags = r.u32();
      if (flags > 7) throw Unknown{r.pos()};
      if (!(flags & 1)) {
        if (flags & 2) r.u32();  // table index
        const_expr(r);
      }
      const bool exprs = flags & 4;
      if (flags & 3) {
        if (exprs) {
          value_type(r);  // reference type
        } else {
          r.u8();  // element kind
        }
      }
      if (exprs) {
        repeat(r, [&] { const_expr(r); });
      } else {
        repeat(r, [&] { r.u32(); });
      }
    });
  }
  void data_section(Reader& r) {
    repeat(r, [&] {
      uint32_t flags = r.u32();
      if (flags > 2) throw Unknown{r.pos()};
      if (flags == 2 && r.u32() != 0) add(Feature::multi_memory);
      if (flags != 1) const_expr(r);
      r.skip(r.count());
    });
  }
  void code_section(Reader& r) {
    uint32_t n = r.count();
    for (uint32_t i = 0; i < n && !r.at_end(); ++i) {
      uint32_t size = r.u32();
      size_t end = size > r.remaining() ? r.end() : r.pos() + size;
      Reader body(bytes_, r.pos(), end);
      try {
        repeat(body, [&] { body.u32(), value_type(body); });  // locals
        while (!body.at_end()) op(body);
      } catch (const CompileError& e) {
        stopped(e.offset());
      } catch (const Unknown& u) {
        stopped(u.at);
      }
      r.seek(end);
    }
  }

  // --- operators -----------------------------------------------------------------------------

  // A constant expression: operators up to its `end` (no blocks can nest in one). The
  // arithmetic of the extended-const proposal is what makes one need it.
  void const_expr(Reader& r) {
    for (;;) {
      uint32_t code = op(r);
      switch (code) {
        case Op::End:
          return;
        case Op::I32Add:
        case Op::I32Sub:
        case Op::I32Mul:
        case Op::I64Add:
        case Op::I64Sub:
        case Op::I64Mul:
          add(Feature::extended_const);
          break;
        default:
          break;
      }
    }
  }

  void block_type(Reader& r) {
    uint8_t b = r.peek();
    if (b == 0x40) {
      r.u8();
    } else if ((b & 0xc0) == 0x40) {
      value_type(r);
    } else if (r.s33() < 0) {  // a type index (multi-value)
      throw Unknown{r.pos()};
    }
  }
  void memarg(Reader& r) {
    uint32_t align = r.u32();
    if (align & 0x40) {  // a memory index follows
      add(Feature::multi_memory);
      r.u32();
    }
    if (r.uleb(64) > UINT32_MAX) add(Feature::memory64);
  }
  void memory_index(Reader& r) {
    if (r.u32() != 0) add(Feature::multi_memory);
  }

  // One operator: decodes its code, records its proposal and skips its immediates. Returns the
  // code (0xfb << 16 | sub for GC operators).
  uint32_t op(Reader& r) {
    const size_t at = r.pos();
    uint8_t b = r.u8();
    uint32_t code = b;
    if (b == 0xfb) return gc_op(r);
    if (b >= 0xfc && b <= 0xfe) {
      uint32_t sub = r.u32();
      if (sub > 0xffff) throw Unknown{at};
      code = (uint32_t(b) << 16) | sub;
    }
    const OpInfo* info = find_op(code);
    if (!info) {
      if (b >= 0xe0 && b <= 0xe6) add(Feature::stack_switching);  // cont.new ... switch
      throw Unknown{at};
    }
    if (info->feature) used_.add(FeatureSet(info->feature));
    switch (info->imm) {
      case Imm::None:
        break;
      case Imm::Block:
        block_type(r);
        break;
      case Imm::Label:
      case Imm::Local:
      case Imm::Global:
      case Imm::Func:
      case Imm::TypeIdx:
      case Imm::Table:
      case Imm::Data:
      case Imm::Elem:
      case Imm::Tag:
        r.u32();
        break;
      case Imm::CallIndirect:
      case Imm::TableCopy:
      case Imm::TableInit:
        r.u32(), r.u32();
        break;
      case Imm::BrTable:
        repeat(r, [&] { r.u32(); }), r.u32();
        break;
      case Imm::Memarg:
        memarg(r);
        break;
      case Imm::MemargLane:
        memarg(r), r.u8();
        break;
      case Imm::Lane:
      case Imm::AtomicFence:
        r.u8();
        break;
      case Imm::Shuffle:
      case Imm::V128:
        r.skip(16);
        break;
      case Imm::I32:
        r.s32();
        break;
      case Imm::I64:
        r.s64();
        break;
      case Imm::F32:
        r.skip(4);
        break;
      case Imm::F64:
        r.skip(8);
        break;
      case Imm::RefType:
        heap_type(r);
        break;
      case Imm::SelectT:
        repeat(r, [&] { value_type(r); });
        break;
      case Imm::Memory:
        memory_index(r);
        break;
      case Imm::MemoryCopy:
        memory_index(r), memory_index(r);
        break;
      case Imm::MemoryInit:
        r.u32(), memory_index(r);
        break;
      case Imm::TryTable:
        block_type(r);
        repeat(r, [&] {
          uint8_t kind = r.u8();
          if (kind > 3) throw Unknown{r.pos()};
          if (kind < 2) r.u32();  // tag
          r.u32();                // label
        });
        break;
    }
    return code;
  }

  // The GC proposal's operators (prefix 0xfb): their immediates by sub-opcode.
  uint32_t gc_op(Reader& r) {
    add(Feature::gc);
    uint32_t sub = r.u32();
    switch (sub) {
      case 0x00:  // struct.new, struct.new_default
      case 0x01:
      case 0x06:  // array.new, array.new_default
      case 0x07:
      case 0x0b:  // array.get, get_s, get_u, set
      case 0x0c:
      case 0x0d:
      case 0x0e:
      case 0x10:  // array.fill
        r.u32();
        break;
      case 0x02:  // struct.get, get_s, get_u, set: type, field
      case 0x03:
      case 0x04:
      case 0x05:
      case 0x08:  // array.new_fixed: type, count
      case 0x09:  // array.new_data, new_elem: type, segment
      case 0x0a:
      case 0x11:  // array.copy: two types
      case 0x12:  // array.init_data, init_elem
      case 0x13:
        r.u32(), r.u32();
        break;
      case 0x0f:  // array.len
      case 0x1a:  // any.convert_extern, extern.convert_any
      case 0x1b:
      case 0x1c:  // ref.i31, i31.get_s, i31.get_u
      case 0x1d:
      case 0x1e:
        break;
      case 0x14:  // ref.test, ref.test null, ref.cast, ref.cast null
      case 0x15:
      case 0x16:
      case 0x17:
        heap_type(r);
        break;
      case 0x18:  // br_on_cast, br_on_cast_fail: flags, label, two heap types
      case 0x19:
        r.u8(), r.u32(), heap_type(r), heap_type(r);
        break;
      default:
        throw Unknown{r.pos()};
    }
    return (0xfbu << 16) | sub;
  }

  std::span<const uint8_t> bytes_;
  ScanReport& report_;
  FeatureSet used_;
  uint32_t memories_ = 0;
};

}  // namespace

FeatureSet scan_features(std::span<const uint8_t> bytes, ScanReport* report) {
  ScanReport local;
  try {
    return Scanner(bytes, report ? *report : local).run();
  } catch (...) {  // std::bad_alloc from an error message: keep the promise never to throw
    return {};
  }
}

}  // namespace wisp::detail::front
