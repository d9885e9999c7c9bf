#include "mockbackends/text_gen.h"

#include <cmath>

#include "common/random.h"

namespace aigw::mock {

namespace {

const char* const kOpenings[] = {
    "Sure.", "Happy to help.", "Good question.", "Here is a short answer.", "Let me explain.",
};

const char* const kSentences[] = {
    "A gateway in front of several model servers can split traffic by weight and fall back by priority.",
    "When the primary backend refuses connections, a retry with one attempt per priority moves the request on.",
    "Each backend may rename the model, so the server sees the name it actually serves.",
    "Streaming responses arrive as server-sent events, one small chunk per token.",
    "Token usage is counted for the prompt and for the completion separately.",
    "Passive health checks eject a host after consecutive errors and bring it back later.",
    "Timeouts bound each attempt, and an overall timeout bounds the whole request.",
    "This reply is generated deterministically, so the same prompt gives the same words.",
    "Latency depends on the time to the first token and on the tokens per second after it.",
    "A weighted split of fifty, thirty and twenty percent converges over many requests.",
    "Nothing here comes from a real language model; it is a simulator stand-in.",
    "Clients cannot tell this server from Ollama, apart from the text itself.",
};

std::vector<std::string> splitTokens(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : text) {
        if (c == ' ' && !cur.empty()) {
            out.push_back(cur);
            cur.clear();
        }
        cur += c;
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::string promptSnippet(const std::string& prompt) {
    std::string s;
    for (char c : prompt) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
        if (c == '"') c = '\'';
        s += c;
        if (s.size() >= 48) {
            // Do not cut a UTF-8 sequence in half.
            while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
            if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
            s += "...";
            break;
        }
    }
    return s;
}

}  // namespace

std::string Generation::text() const {
    std::string s;
    for (const auto& t : tokens) s += t;
    return s;
}

std::uint64_t stableHash(const std::vector<std::string>& parts) {
    std::uint64_t h = 1469598103934665603ull;
    for (const auto& p : parts) {
        for (unsigned char c : p) {
            h ^= c;
            h *= 1099511628211ull;
        }
        h ^= 0xff;
        h *= 1099511628211ull;
    }
    return h;
}

Generation generateReply(const std::string& server, const std::string& model, const std::string& prompt,
                         std::uint64_t seed, std::optional<int> maxTokens) {
    SeededRandom rng(stableHash({server, model, prompt, std::to_string(seed)}));
    std::string text = kOpenings[rng.below(std::size(kOpenings))];
    text += " This is " + server + " answering as " + model + ".";
    const std::string snippet = promptSnippet(prompt);
    if (!snippet.empty()) text += " You wrote \"" + snippet + "\".";
    const int sentences = 1 + static_cast<int>(rng.below(3));
    for (int i = 0; i < sentences; ++i) {
        text += ' ';
        text += kSentences[rng.below(std::size(kSentences))];
    }
    Generation g;
    g.tokens = splitTokens(text);
    g.finishReason = "stop";
    if (maxTokens && *maxTokens >= 0 && static_cast<int>(g.tokens.size()) > *maxTokens) {
        g.tokens.resize(static_cast<std::size_t>(*maxTokens));
        g.finishReason = "length";
    }
    return g;
}

int estimateTokens(const std::string& text) {
    if (text.empty()) return 0;
    return std::max(1, static_cast<int>((text.size() + 3) / 4));
}

std::vector<float> embed(const std::string& model, const std::string& input, int dimensions) {
    SeededRandom rng(stableHash({"embed", model, input}));
    std::vector<float> v(static_cast<std::size_t>(std::max(1, dimensions)));
    double norm = 0;
    for (auto& x : v) {
        x = static_cast<float>(rng.uniform01() * 2.0 - 1.0);
        norm += double(x) * x;
    }
    norm = std::sqrt(norm);
    for (auto& x : v) x = static_cast<float>(x / norm);
    return v;
}

}  // namespace aigw::mock
