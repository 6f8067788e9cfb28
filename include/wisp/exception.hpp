// WebAssembly exceptions in the C++ API (exception handling): tags, and wisp::Exception, which a
// host function throws to throw into the guest and which a call throws when the guest's exception
// was not caught.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "wisp/error.hpp"
#include "wisp/value.hpp"

namespace wisp {

namespace detail {
struct TagState;
}

// What an exception is an exception of, and the types of the values it carries. A tag is made by
// a module (each instance's own; Instance::tag gives an exported one) or by the host (Tag(params):
// unlike any other tag; Linker::define_tag lets modules import it). Cheap to copy.
class Tag {
 public:
  Tag() = default;
  explicit Tag(std::vector<ValType> params);

  bool valid() const { return state_ != nullptr; }
  const std::vector<ValType>& params() const;
  uint32_t id() const;  // the runtime's identity of the tag
  bool operator==(const Tag& o) const { return id() == o.id(); }

  // (Internal: Instance::tag.)
  Tag(uint32_t id, std::vector<ValType> params);
  const std::shared_ptr<detail::TagState>& state() const { return state_; }

 private:
  std::shared_ptr<detail::TagState> state_;
};

// A WebAssembly exception. Thrown by a host function, it is thrown into the guest at the call:
// the guest's try/catch sees an exception of `tag` with `values` (which must have the tag's
// parameter types). Thrown by Instance::call and the typed calls when the guest's exception was
// not caught: it is a Trap of kind uncaught_exception that also holds the exception.
class Exception : public Trap {
 public:
  Exception(const Tag& tag, const std::vector<Value>& values);
  // (Internal: an uncaught guest exception, its values as the runtime's raw values.)
  Exception(uint32_t tag_id, std::vector<uint8_t> raw);

  uint32_t tag_id() const { return tag_id_; }
  bool is(const Tag& tag) const { return tag.valid() && tag.id() == tag_id_; }
  // The values, read with `tag`'s parameter types; Error if the exception is not one of `tag`.
  std::vector<Value> values(const Tag& tag) const;
  const std::vector<uint8_t>& raw() const { return raw_; }  // the values as the runtime keeps them

 private:
  uint32_t tag_id_ = 0;
  std::vector<uint8_t> raw_;
};

}  // namespace wisp
