#pragma once
// Field edits named on the command line (`aigw-sim edit FILE... --set EXPR`), applied to the typed
// model; save-back (config/save_back.h) then writes them into the files.
//
//   EXPR   = KIND/[NAMESPACE/]NAME:FIELD=VALUE     (an empty VALUE unsets the field)
//   KIND   = route | policy | backend | clientpolicy   (or the full kind name, any case)
//   route  FIELD: rules[I].backendRefs[J].weight | .priority | .modelNameOverride   (J: index or name)
//                 rules[I].timeouts.request | rules[I].timeouts.backendRequest | rules[I].streamIdleTimeout
//   policy FIELD: retry.numRetries | retry.numAttemptsPerPriority | retry.perRetry.timeout |
//                 retry.perRetry.backOff.baseInterval | retry.perRetry.backOff.maxInterval |
//                 healthCheck.passive.<field> | healthCheck.panicThreshold | timeout.tcp.connectTimeout |
//                 timeout.http.requestTimeout | dns.dnsRefreshRate
//   backend FIELD: fallback;  clientpolicy FIELD: connection.bufferLimit
// Without NAMESPACE the name must be unique across namespaces.

#include <string>

#include "common/result.h"
#include "config/model.h"

namespace aigw::config {

/// What one applied edit changed, for people: "AIGatewayRoute default/r rules[0].backendRefs[1].weight: 30 -> 5".
using EditDescription = std::string;

/// Applies `expression` to `config`; an error (message only) names what is wrong: the syntax, an
/// unknown object or field, an index out of range, a value of the wrong type or range. `config` is
/// unchanged on error.
Result<EditDescription> applySet(Config& config, const std::string& expression);

/// The syntax above, for --help.
const char* setSyntaxHelp();

}  // namespace aigw::config
