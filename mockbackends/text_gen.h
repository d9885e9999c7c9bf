#pragma once
// Deterministic, readable fake model output: the same server, model, prompt and seed always give
// the same reply, and the reply names the server and model so a test (or a person with curl) can
// see who answered and which model name arrived after the gateway's override.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aigw::mock {

struct Generation {
    std::vector<std::string> tokens;  ///< the reply split into tokens (a word with its leading space)
    std::string finishReason;         ///< "stop", or "length" when maxTokens cut it short
    std::string text() const;
};

/// FNV-1a 64 over the parts, separated, so ("ab","c") and ("a","bc") differ.
std::uint64_t stableHash(const std::vector<std::string>& parts);

/// A reply of 12..60 tokens; `maxTokens` (>= 0) truncates it with finishReason "length".
Generation generateReply(const std::string& server, const std::string& model, const std::string& prompt,
                         std::uint64_t seed, std::optional<int> maxTokens);

/// Rough tokenizer-free estimate (~4 characters per token, at least 1 for non-empty text).
int estimateTokens(const std::string& text);

/// A unit-length embedding of `dimensions` floats, deterministic in model and input.
std::vector<float> embed(const std::string& model, const std::string& input, int dimensions);

}  // namespace aigw::mock
