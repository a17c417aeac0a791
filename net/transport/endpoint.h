// Session addresses as people type them: parsed in engine/core (core/endpoint.h), where
// the overlay's form checks them too; named here in net's namespace for the network code.
#pragma once

#include "core/endpoint.h"

namespace lockstep::net {
using lockstep::Endpoint;
using lockstep::parse_endpoint;
using lockstep::parse_port;
using lockstep::to_string;
}  // namespace lockstep::net
