// Sample messages for the protocol tests and the fuzz seed corpus: for every message
// type one with typical values and one with extreme values (limits of every integer,
// strings and lists at their bounds where the packet limit allows, odd doubles).
#pragma once

#include <net/protocol/messages.h>

#include <string>
#include <vector>

namespace lockstep::net::test {

struct SampleMessage {
  std::string label;  ///< e.g. "typical-Hello"; also the seed file name
  Message message;
};

/// One per message type, in type-table order.
std::vector<SampleMessage> typical_messages();
/// One or more per message type.
std::vector<SampleMessage> extreme_messages();
/// Both of the above.
std::vector<SampleMessage> all_sample_messages();

/// A string of `length` bytes going through every byte value (not valid UTF-8: the
/// protocol carries paths, which need not be).
std::string every_byte_string(std::size_t length);

}  // namespace lockstep::net::test
