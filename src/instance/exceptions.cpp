// Tags and wisp::Exception: the C++ side of exception handling (include/wisp/exception.hpp).
#include "wisp/exception.hpp"

#include <cstring>

#include "instance/instance_impl.hpp"
#include "runtime/exceptions.hpp"

namespace wisp {

Tag::Tag(std::vector<ValType> params) : state_(std::make_shared<detail::TagState>()) {
  state_->id = rt::register_tag(static_cast<uint32_t>(params.size() * sizeof(wisp_raw_t)));
  state_->params = std::move(params);
}

Tag::Tag(uint32_t id, std::vector<ValType> params) : state_(std::make_shared<detail::TagState>()) {
  state_->id = id;
  state_->params = std::move(params);
}

const std::vector<ValType>& Tag::params() const {
  static const std::vector<ValType> kNone;
  return state_ ? state_->params : kNone;
}

uint32_t Tag::id() const {
  return state_ ? state_->id : 0;
}

namespace {

std::vector<uint8_t> raw_values(const Tag& tag, const std::vector<Value>& values) {
  if (!tag.valid()) throw Error("wisp::Exception: an empty Tag");
  const std::vector<ValType>& ps = tag.params();
  if (values.size() != ps.size())
    throw Error("wisp::Exception: the tag carries " + std::to_string(ps.size()) +
                " values, given " + std::to_string(values.size()));
  std::vector<uint8_t> raw(values.size() * sizeof(wisp_raw_t));
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].type() != ps[i])
      throw Error("wisp::Exception: value " + std::to_string(i) + " is " +
                  val_type_name(values[i].type()) + ", the tag's parameter is " +
                  val_type_name(ps[i]));
    const wisp_raw_t r = detail::to_raw(values[i]);
    std::memcpy(raw.data() + i * sizeof(wisp_raw_t), &r, sizeof r);
  }
  return raw;
}

}  // namespace

Exception::Exception(const Tag& tag, const std::vector<Value>& values)
    : Trap(TrapKind::uncaught_exception, "a WebAssembly exception thrown by the host"),
      tag_id_(tag.id()),
      raw_(raw_values(tag, values)) {}

Exception::Exception(uint32_t tag_id, std::vector<uint8_t> raw)
    : Trap(TrapKind::uncaught_exception,
           "a WebAssembly exception (tag " + std::to_string(tag_id) + ") nothing caught"),
      tag_id_(tag_id),
      raw_(std::move(raw)) {}

std::vector<Value> Exception::values(const Tag& tag) const {
  if (!is(tag)) throw Error("wisp::Exception::values: the exception is not one of this tag");
  const std::vector<ValType>& ps = tag.params();
  if (raw_.size() != ps.size() * sizeof(wisp_raw_t))
    throw Error("wisp::Exception::values: the exception's values do not fit the tag's type");
  std::vector<Value> out;
  for (size_t i = 0; i < ps.size(); ++i) {
    wisp_raw_t r;
    std::memcpy(&r, raw_.data() + i * sizeof(wisp_raw_t), sizeof r);
    out.push_back(detail::from_raw(r, ps[i]));
  }
  return out;
}

Tag Instance::tag(std::string_view name) const {
  uint32_t idx = impl_->export_of_kind(name, ExternKind::tag);
  const uint32_t id = *static_cast<const uint32_t*>(impl_->export_storage(idx));
  return Tag(id, impl_->mod().exports[idx].type.func.params);
}

}  // namespace wisp
