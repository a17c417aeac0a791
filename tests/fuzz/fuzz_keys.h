// The fixed keys and nonces of the protocol fuzz target, shared with the seed generator
// so that the seed corpus can hold packets that pass authentication.
#pragma once

#include <net/protocol/auth.h>

namespace lockstep::net::fuzz {

inline const KeyBytes kPasswordKey{0x6C, 0x6F, 0x63, 0x6B, 0x73, 0x74, 0x65, 0x70, 1, 2, 3, 4};
inline const Salt kSalt{0x5A, 0x17};
inline const Nonce kClientNonce{0xC1, 0x1E, 0x47};
inline const Nonce kServerNonce{0x5E, 0x4F, 0xE4};

/// Fixed directional keys for the sealed packets of the corpus (a real connection gets
/// fresh ones from its key exchange).
inline SessionKeys session_keys() {
  SessionKeys keys;
  keys.client_to_server = kPasswordKey;
  keys.server_to_client = kPasswordKey;
  keys.server_to_client[31] = 0x5C;
  return keys;
}

}  // namespace lockstep::net::fuzz
