#include "config/save_back.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <optional>
#include <tuple>

#include "config/exporter.h"
#include "config/text_diff.h"

namespace aigw::config {
namespace {

/// The exporter's view of a document with nothing dropped or converted: what the file holds, with
/// the typed object laid over it.
ExportOptions asWritten() {
    ExportOptions o;
    o.apiVersion = "as-read";  // not a supported version: each document keeps its own
    o.keepServerFields = true;
    return o;
}

bool typedKind(Kind kind) {
    return kind == Kind::AIGatewayRoute || kind == Kind::AIServiceBackend || kind == Kind::Backend ||
           kind == Kind::BackendTrafficPolicy || kind == Kind::ClientTrafficPolicy || kind == Kind::InferenceService;
}

std::size_t typedCount(const Config& c, Kind kind) {
    switch (kind) {
    case Kind::AIGatewayRoute: return c.routes.size();
    case Kind::AIServiceBackend: return c.serviceBackends.size();
    case Kind::Backend: return c.backends.size();
    case Kind::BackendTrafficPolicy: return c.trafficPolicies.size();
    case Kind::ClientTrafficPolicy: return c.clientPolicies.size();
    case Kind::InferenceService: return c.inferenceServices.size();
    default: return 0;
    }
}

const ObjectMeta& typedMeta(const Config& c, Kind kind, std::size_t i) {
    switch (kind) {
    case Kind::AIGatewayRoute: return c.routes[i].meta;
    case Kind::AIServiceBackend: return c.serviceBackends[i].meta;
    case Kind::Backend: return c.backends[i].meta;
    case Kind::BackendTrafficPolicy: return c.trafficPolicies[i].meta;
    case Kind::ClientTrafficPolicy: return c.clientPolicies[i].meta;
    default: return c.inferenceServices[i].meta;
    }
}

using ObjectKey = std::tuple<Kind, std::string, std::string>;

ObjectKey keyOf(Kind kind, const ObjectMeta& m) { return {kind, m.effectiveNamespace(), m.name}; }

std::string describe(const ObjectKey& k) {
    return std::string(kindName(std::get<0>(k))) + " " + std::get<1>(k) + "/" + std::get<2>(k);
}

// ---- YAML nodes ----

YAML::Node findChild(const YAML::Node& map, const std::string& key) {
    if (map.IsMap())
        for (const auto& kv : map)
            if (kv.first.IsScalar() && kv.first.Scalar() == key)
                return kv.second;
    return YAML::Node(YAML::NodeType::Undefined);
}

bool isNullish(const YAML::Node& n) { return !n.IsDefined() || n.IsNull(); }

/// Same value: scalars by text, sequences in order, maps whatever their key order.
bool nodesEqual(const YAML::Node& a, const YAML::Node& b) {
    if (isNullish(a) || isNullish(b))
        return isNullish(a) && isNullish(b);
    if (a.Type() != b.Type())
        return false;
    switch (a.Type()) {
    case YAML::NodeType::Scalar: return a.Scalar() == b.Scalar();
    case YAML::NodeType::Sequence:
        if (a.size() != b.size())
            return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!nodesEqual(a[i], b[i]))
                return false;
        return true;
    case YAML::NodeType::Map:
        if (a.size() != b.size())
            return false;
        for (const auto& kv : a) {
            if (!kv.first.IsScalar())
                return false;
            const YAML::Node other = findChild(b, kv.first.Scalar());
            if (!other.IsDefined() || !nodesEqual(kv.second, other))
                return false;
        }
        return true;
    default: return true;
    }
}

bool simpleValue(const YAML::Node& n) {
    return isNullish(n) || n.IsScalar() || ((n.IsMap() || n.IsSequence()) && n.size() == 0);
}

/// A scalar, null or empty collection on one line, quoted as the exporter would; nullopt when it
/// needs several lines.
std::optional<std::string> inlineText(const YAML::Node& n) {
    if (n.IsScalar() && n.Scalar().find('\n') != std::string::npos) {
        YAML::Emitter out;
        out << YAML::DoubleQuoted << n.Scalar();
        return std::string(out.c_str());
    }
    std::string s = emitNode(n);
    while (!s.empty() && s.back() == '\n')
        s.pop_back();
    if (s.find('\n') != std::string::npos)
        return std::nullopt;
    return s;
}

std::string spaces(int n) { return std::string(static_cast<std::size_t>(std::max(0, n)), ' '); }

/// Block YAML of a collection at `indent`, one line per scalar; `compactSeq`: a list under a key
/// starts at the key's column (`key:\n- a`), as kubectl writes it, else two further in.
std::string renderBlock(const YAML::Node& n, int indent, bool compactSeq) {
    std::string out;
    const std::string pad = spaces(indent);
    if (n.IsMap()) {
        for (const auto& kv : n) {
            const std::string key = inlineText(kv.first).value_or("\"\"");
            if (simpleValue(kv.second)) {
                out += pad + key + ": " + inlineText(kv.second).value_or("~") + "\n";
            } else {
                out += pad + key + ":\n";
                out += renderBlock(kv.second, kv.second.IsSequence() && compactSeq ? indent : indent + 2, compactSeq);
            }
        }
    } else if (n.IsSequence()) {
        for (const auto& item : n) {
            if (simpleValue(item)) {
                out += pad + "- " + inlineText(item).value_or("~") + "\n";
            } else {
                std::string inner = renderBlock(item, indent + 2, compactSeq);
                inner.replace(0, static_cast<std::size_t>(indent) + 2, pad + "- ");
                out += inner;
            }
        }
    }
    return out;
}

/// `[a, b]` / `{k: v}` when every member is a scalar, else nullopt.
std::optional<std::string> flowText(const YAML::Node& n) {
    std::string out = n.IsMap() ? "{" : "[";
    bool first = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
        std::optional<std::string> item;
        if (n.IsMap()) {
            const auto k = inlineText(it->first);
            const auto v = it->second.IsScalar() || isNullish(it->second) ? inlineText(it->second) : std::nullopt;
            if (!k || !v)
                return std::nullopt;
            item = *k + ": " + *v;
        } else {
            if (!it->IsScalar())
                return std::nullopt;
            item = inlineText(*it);
        }
        if (!item)
            return std::nullopt;
        out += (first ? "" : ", ") + *item;
        first = false;
    }
    return out + (n.IsMap() ? "}" : "]");
}

// ---- the text ----

struct Edit {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::string text;
};

/// Thrown inside one document's patch when the text is not what the patcher can edit faithfully;
/// caught per document (which is then rewritten whole).
struct CannotPatch {
    std::string why;
};

class TextMap {
public:
    explicit TextMap(const std::string& text) : m_text(text) {
        m_starts.push_back(0);
        for (std::size_t i = 0; i < text.size(); ++i)
            if (text[i] == '\n' && i + 1 < text.size())
                m_starts.push_back(i + 1);
    }
    const std::string& text() const { return m_text; }
    int lines() const { return static_cast<int>(m_starts.size()); }
    std::size_t lineStart(int line) const {
        return line < lines() ? m_starts[static_cast<std::size_t>(line)] : m_text.size();
    }
    /// Offset of the line's '\n' (or the end of the text).
    std::size_t lineEnd(int line) const {
        const auto nl = m_text.find('\n', lineStart(line));
        return nl == std::string::npos ? m_text.size() : nl;
    }
    /// Past the line's '\n' (the next line's start, or the end of the text).
    std::size_t afterLine(int line) const { return std::min(m_text.size(), lineEnd(line) + 1); }
    std::size_t offset(const RawNode& n) const {
        if (n.line() < 0 || n.line() >= lines())
            throw CannotPatch{"no position"};
        const std::size_t at = lineStart(n.line()) + static_cast<std::size_t>(n.column());
        if (at > lineEnd(n.line()))
            throw CannotPatch{"position past its line"};
        return at;
    }
    int lineOf(std::size_t offset) const {
        return static_cast<int>(std::upper_bound(m_starts.begin(), m_starts.end(), offset) - m_starts.begin()) - 1;
    }
    char at(std::size_t i) const { return i < m_text.size() ? m_text[i] : '\0'; }
    /// Leading spaces; -1 for a blank or comment-only line.
    int indent(int line) const {
        std::size_t i = lineStart(line);
        const std::size_t end = lineEnd(line);
        while (i < end && m_text[i] == ' ')
            ++i;
        if (i == end || m_text[i] == '#' || m_text[i] == '\r')
            return -1;
        return static_cast<int>(i - lineStart(line));
    }
    /// `---` or `...` at column 0: a document boundary.
    bool boundary(int line) const {
        const std::size_t s = lineStart(line);
        if (m_text.compare(s, 3, "---") != 0 && m_text.compare(s, 3, "...") != 0)
            return false;
        const char c = at(s + 3);
        return c == '\0' || c == '\n' || c == ' ' || c == '\t' || c == '\r';
    }
    /// The last line holding content of the block that starts on `line` at column `col`: a map entry
    /// (further lines more indented, or a `-` at the same column: kubectl's compact lists), or a list
    /// item (`item`: further lines more indented than its dash).
    int lastLine(int line, int col, bool item) const {
        int last = line;
        for (int l = line + 1; l < lines(); ++l) {
            if (boundary(l))
                break;
            const int ind = indent(l);
            if (ind < 0)
                continue;
            const std::size_t c = lineStart(l) + static_cast<std::size_t>(ind);
            const bool dash = at(c) == '-' && (at(c + 1) == ' ' || at(c + 1) == '\n' || at(c + 1) == '\0');
            if (ind > col || (!item && ind == col && dash))
                last = l;
            else
                break;
        }
        return last;
    }

private:
    const std::string& m_text;
    std::vector<std::size_t> m_starts;
};

struct Span {
    std::size_t begin = 0;
    std::size_t end = 0;
    char style = 0;  ///< 0 plain, '\'' or '"'
};

/// The characters of a one-line scalar (or null word), checked against what was read; nullopt for
/// block, multi-line or escaped scalars.
std::optional<Span> scalarSpan(const TextMap& t, const RawNode& n, bool key = false) {
    if (!(n.isScalar() || n.isNull()))
        return std::nullopt;
    const std::size_t begin = t.offset(n);
    const std::size_t eol = t.lineEnd(n.line());
    const std::string& s = t.text();
    const char c = t.at(begin);
    if (c == '\'' || c == '"') {
        std::string value;
        for (std::size_t i = begin + 1; i < eol; ++i) {
            if (s[i] == c) {
                if (c == '\'' && i + 1 < eol && s[i + 1] == '\'') {
                    value += '\'';
                    ++i;
                    continue;
                }
                if (value != n.scalar())
                    return std::nullopt;
                return Span{begin, i + 1, c};
            }
            if (c == '"' && s[i] == '\\')
                return std::nullopt;
            value += s[i];
        }
        return std::nullopt;
    }
    if (c == '|' || c == '>' || c == '[' || c == '{' || c == '&' || c == '!' || c == '*')
        return std::nullopt;
    std::size_t end = begin;
    while (end < eol && !((s[end] == '#') && end > begin && (s[end - 1] == ' ' || s[end - 1] == '\t')) &&
           !(key && s[end] == ':' && (end + 1 == eol || s[end + 1] == ' ' || s[end + 1] == '\t')))
        ++end;
    while (end > begin && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
        --end;
    const std::string_view text(s.data() + begin, end - begin);
    if (n.isNull()) {
        if (text != "~" && text != "null" && text != "Null" && text != "NULL")
            return std::nullopt;
    } else if (text != n.scalar()) {
        return std::nullopt;  // a plain scalar folded over several lines
    }
    return Span{begin, end, 0};
}

/// A flow collection on one line: `[` ... matching `]`.
std::optional<Span> flowSpan(const TextMap& t, const RawNode& n) {
    const std::size_t begin = t.offset(n);
    const std::size_t eol = t.lineEnd(n.line());
    const std::string& s = t.text();
    if (s[begin] != '[' && s[begin] != '{')
        return std::nullopt;
    int depth = 0;
    char quote = 0;
    for (std::size_t i = begin; i < eol; ++i) {
        const char c = s[i];
        if (quote) {
            if (quote == '"' && c == '\\')
                ++i;
            else if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '[' || c == '{') {
            ++depth;
        } else if ((c == ']' || c == '}') && --depth == 0) {
            return Span{begin, i + 1, c};
        }
    }
    return std::nullopt;
}

/// A string value in a quoting style: the user's, when the new value reads back the same in it.
std::optional<std::string> quoted(const std::string& v, char style) {
    if (v.find_first_of("\n\r\t") != std::string::npos)
        return std::nullopt;
    if (style == '\'') {
        std::string out = "'";
        for (char c : v)
            out += c == '\'' ? std::string("''") : std::string(1, c);
        return out + "'";
    }
    if (v.find_first_of("\"\\") != std::string::npos)
        return std::nullopt;
    return "\"" + v + "\"";
}

/// Where a value sits, so that it can be rewritten whole.
struct Slot {
    enum Type { Document, Entry, Item } type = Document;
    RawNode key;    ///< Entry: the key
    RawNode value;  ///< Entry and Item: the value as read
    int indent = 0; ///< Entry: the key's column; Item: the dash's column
    std::size_t dash = 0;  ///< Item: offset of its `-`
};

/// Collects the edits of one document.
class Patcher {
public:
    Patcher(const TextMap& text, bool compactSeq) : m_t(text), m_compact(compactSeq) {}
    std::vector<Edit>& edits() { return m_edits; }

    void patch(const YAML::Node& a, const YAML::Node& b, const RawNode& raw, const Slot& slot) {
        if (nodesEqual(a, b))
            return;
        if (!raw.isDefined())
            throw CannotPatch{"a changed value the file does not have"};
        const char first = m_t.at(m_t.offset(raw));
        if (a.IsMap() && b.IsMap() && raw.isMap() && raw.size() > 0 && first != '{')
            return patchMap(a, b, raw);
        if (a.IsSequence() && b.IsSequence() && raw.isSequence() && raw.size() > 0 && first == '-')
            return patchSeq(a, b, raw);
        if (b.IsScalar() && (raw.isScalar() || raw.isNull())) {
            if (const auto span = scalarSpan(m_t, raw)) {
                std::optional<std::string> text;
                if (span->style && b.Tag() == "!")  // a string stays in the user's quotes
                    text = quoted(b.Scalar(), span->style);
                if (!text)
                    text = inlineText(b);
                if (text) {
                    m_edits.push_back({span->begin, span->end, *text});
                    return;
                }
            }
        }
        replace(slot, b);
    }

    /// Deletes a list item (its dash line to its last line).
    void removeItem(const RawNode& item) {
        const Slot s = itemSlot(item);
        const int line = m_t.lineOf(s.dash);
        const std::size_t from = m_t.lineStart(line);
        if (m_t.indent(line) != s.indent || m_t.lineStart(line) + static_cast<std::size_t>(s.indent) != s.dash)
            throw CannotPatch{"a list item that does not start its line"};
        m_edits.push_back({from, m_t.afterLine(m_t.lastLine(line, s.indent, true)), {}});
    }

    /// Rewrites a list item (List items whose patch failed).
    void rewriteItem(const RawNode& item, const YAML::Node& b) { replace(itemSlot(item), b); }

private:
    void patchMap(const YAML::Node& a, const YAML::Node& b, const RawNode& raw) {
        const int col = raw.key(0).column();
        std::map<std::string, std::size_t> rawIndex;
        for (std::size_t i = 0; i < raw.size(); ++i)
            if (raw.key(i).isScalar())
                rawIndex.emplace(std::string(raw.key(i).scalar()), i);
        auto inRaw = [&](const std::string& k) { return rawIndex.count(k) != 0; };
        std::vector<bool> removed(raw.size(), false);
        // Keys to remove, then changed ones, then new ones.
        for (const auto& kv : a) {
            const std::string k = kv.first.Scalar();
            if (!findChild(b, k).IsDefined() && inRaw(k))
                removed[rawIndex[k]] = true;
        }
        for (std::size_t i = 0; i < raw.size(); ++i)
            if (removed[i])
                removeEntry(raw, i, removed);
        for (const auto& kv : b) {
            const std::string k = kv.first.Scalar();
            const YAML::Node before = findChild(a, k);
            if (before.IsDefined() && nodesEqual(before, kv.second))
                continue;
            if (inRaw(k)) {
                const std::size_t i = rawIndex[k];
                Slot s{Slot::Entry, raw.key(i), raw.value(i), col, 0};
                if (before.IsDefined())
                    patch(before, kv.second, raw.value(i), s);
                else
                    replace(s, kv.second);
                continue;
            }
            if (before.IsDefined())
                throw CannotPatch{"a changed key the file does not have"};
        }
        // New keys: each after the key before it in the exported order (or after the last key).
        std::string previous;
        for (const auto& kv : b) {
            const std::string k = kv.first.Scalar();
            if (inRaw(k) && !removed[rawIndex[k]]) {
                previous = k;
                continue;
            }
            if (findChild(a, k).IsDefined() || inRaw(k))
                continue;
            std::optional<std::size_t> anchor;
            if (!previous.empty())
                anchor = rawIndex[previous];
            for (std::size_t i = raw.size(); !anchor && i > 0; --i)
                if (!removed[i - 1])
                    anchor = i - 1;
            if (!anchor)
                throw CannotPatch{"every key of a map removed"};
            const RawNode key = raw.key(*anchor);
            const std::size_t at = m_t.afterLine(m_t.lastLine(key.line(), col, false));
            std::string text = renderEntry(kv.first, kv.second, col);
            if (at == m_t.text().size() && !m_t.text().empty() && m_t.text().back() != '\n')
                text = "\n" + text;
            m_edits.push_back({at, at, text});
        }
    }

    std::string renderEntry(const YAML::Node& key, const YAML::Node& value, int col) const {
        const std::string k = inlineText(key).value_or("\"\"");
        if (simpleValue(value)) {
            const auto v = inlineText(value);
            if (!v)
                throw CannotPatch{"a value that needs several lines"};
            return spaces(col) + k + ": " + *v + "\n";
        }
        return spaces(col) + k + ":\n" + renderBlock(value, value.IsSequence() && m_compact ? col : col + 2, m_compact);
    }

    void removeEntry(const RawNode& raw, std::size_t i, const std::vector<bool>& removed) {
        const RawNode key = raw.key(i);
        const int col = key.column();
        const int line = key.line();
        const std::size_t keyAt = m_t.offset(key);
        if (m_t.indent(line) == col) {
            m_edits.push_back({m_t.lineStart(line), m_t.afterLine(m_t.lastLine(line, col, false)), {}});
            return;
        }
        // `- key: v` (the first key of a list item): the next key moves up to the dash.
        if (i + 1 < raw.size() && !removed[i + 1]) {
            m_edits.push_back({keyAt, m_t.offset(raw.key(i + 1)), {}});
            return;
        }
        throw CannotPatch{"removing the only key of a list item"};
    }

    void patchSeq(const YAML::Node& a, const YAML::Node& b, const RawNode& raw) {
        if (raw.size() != a.size())
            throw CannotPatch{"a list the exporter changed"};
        std::size_t head = 0;
        while (head < a.size() && head < b.size() && nodesEqual(a[head], b[head]))
            ++head;
        std::size_t tail = 0;
        while (tail < a.size() - head && tail < b.size() - head && nodesEqual(a[a.size() - 1 - tail], b[b.size() - 1 - tail]))
            ++tail;
        const std::size_t midA = a.size() - head - tail;
        const std::size_t midB = b.size() - head - tail;
        if (midA == midB) {
            for (std::size_t i = head; i < head + midA; ++i)
                patch(a[i], b[i], raw[i], itemSlot(raw[i]));
            return;
        }
        for (std::size_t i = head; i < head + midA; ++i)
            removeItem(raw[i]);
        if (midB == 0)
            return;
        std::size_t at = 0;
        int dashCol = 0;
        if (head > 0) {
            const Slot prev = itemSlot(raw[head - 1]);
            dashCol = prev.indent;
            at = m_t.afterLine(m_t.lastLine(m_t.lineOf(prev.dash), dashCol, true));
        } else {
            const Slot first = itemSlot(raw[0]);
            dashCol = first.indent;
            const int line = m_t.lineOf(first.dash);
            if (m_t.lineStart(line) + static_cast<std::size_t>(dashCol) != first.dash || m_t.indent(line) != dashCol)
                throw CannotPatch{"a list item that does not start its line"};
            at = m_t.lineStart(line);
        }
        YAML::Node items(YAML::NodeType::Sequence);
        for (std::size_t i = head; i < head + midB; ++i)
            items.push_back(b[i]);
        std::string text = renderBlock(items, dashCol, m_compact);
        if (at == m_t.text().size() && !m_t.text().empty() && m_t.text().back() != '\n')
            text = "\n" + text;
        m_edits.push_back({at, at, text});
    }

    Slot itemSlot(const RawNode& item) const {
        std::size_t i = m_t.offset(item);
        const std::size_t lineStart = m_t.lineStart(item.line());
        while (i > lineStart && m_t.at(i - 1) == ' ')
            --i;
        if (i == lineStart || m_t.at(i - 1) != '-')
            throw CannotPatch{"a list item without its dash on its line"};
        Slot s;
        s.type = Slot::Item;
        s.value = item;
        s.dash = i - 1;
        s.indent = static_cast<int>(s.dash - lineStart);
        return s;
    }

    /// Rewrites a value whole: from its key's colon (or its item's dash) to its last character.
    void replace(const Slot& slot, const YAML::Node& b) {
        if (slot.type == Slot::Document)
            throw CannotPatch{"the document itself changed shape"};
        std::size_t from = 0;
        int line = 0;
        if (slot.type == Slot::Entry) {
            const auto keySpan = scalarSpan(m_t, slot.key, true);
            if (!keySpan)
                throw CannotPatch{"a key that is not a one-line scalar"};
            std::size_t i = keySpan->end;
            while (m_t.at(i) == ' ' || m_t.at(i) == '\t')
                ++i;
            if (m_t.at(i) != ':')
                throw CannotPatch{"no colon after a key"};
            from = i + 1;
            line = slot.key.line();
        } else {
            from = slot.dash + 1;
            line = m_t.lineOf(slot.dash);
        }
        // The value's end: a one-line scalar or flow collection ends at its last character (a
        // trailing comment stays), anything else at the end of its block.
        std::size_t to = 0;
        bool flow = false;
        const RawNode& v = slot.value;
        std::optional<Span> span;
        if (v.isDefined() && !(v.isNull() && m_t.offset(v) < from) && m_t.offset(v) >= from) {
            if (v.isScalar() || v.isNull())
                span = scalarSpan(m_t, v);
            else if (m_t.at(m_t.offset(v)) == '[' || m_t.at(m_t.offset(v)) == '{')
                flow = (span = flowSpan(m_t, v)).has_value();
        }
        if (span && v.line() == line)
            to = span->end;
        else
            to = m_t.lineEnd(m_t.lastLine(line, slot.indent, slot.type == Slot::Item));
        std::string text;
        if (simpleValue(b)) {
            const auto inl = inlineText(b);
            if (!inl)
                throw CannotPatch{"a value that needs several lines"};
            text = " " + *inl;
        } else if (flow && flowText(b)) {
            text = " " + *flowText(b);
        } else if (slot.type == Slot::Entry) {
            std::string block = renderBlock(b, b.IsSequence() && m_compact ? slot.indent : slot.indent + 2, m_compact);
            block.pop_back();
            text = "\n" + block;
        } else {
            std::string block = renderBlock(b, slot.indent + 2, m_compact);
            block.pop_back();
            text = " " + block.substr(static_cast<std::size_t>(slot.indent) + 2);
        }
        m_edits.push_back({from, to, text});
    }

    const TextMap& m_t;
    bool m_compact;
    std::vector<Edit> m_edits;
};

/// Applies non-overlapping edits (inserts at one offset keep their order).
std::optional<std::string> applyEdits(const std::string& text, std::vector<Edit> edits) {
    std::stable_sort(edits.begin(), edits.end(), [](const Edit& x, const Edit& y) { return x.begin < y.begin; });
    std::string out;
    std::size_t at = 0;
    for (const auto& e : edits) {
        if (e.begin < at || e.end < e.begin || e.end > text.size())
            return std::nullopt;  // overlapping edits: the caller rewrites instead
        out.append(text, at, e.begin - at);
        out += e.text;
        at = e.end;
    }
    out.append(text, at, std::string::npos);
    return out;
}

/// Does the file indent lists under a key (`key:\n  - a`) or not (`key:\n- a`, kubectl's way)?
bool usesCompactLists(const TextMap& t) {
    for (int l = 0; l + 1 < t.lines(); ++l) {
        const int ind = t.indent(l);
        if (ind < 0)
            continue;
        const std::size_t s = t.lineStart(l);
        const std::size_t e = t.lineEnd(l);
        if (e == 0 || t.at(e - 1) != ':')
            continue;  // only `key:` lines ending the line
        int next = l + 1;
        while (next < t.lines() && t.indent(next) < 0 && !t.boundary(next))
            ++next;
        if (next >= t.lines())
            break;
        const int nind = t.indent(next);
        const std::size_t c = t.lineStart(next) + static_cast<std::size_t>(std::max(0, nind));
        if (nind >= 0 && t.at(c) == '-' && t.at(c + 1) == ' ' && t.at(s + static_cast<std::size_t>(ind)) != '-')
            return nind == ind;
    }
    return false;
}

bool malformed(const std::vector<Error>& errors, const std::string& file, std::vector<Error>* out) {
    bool any = false;
    for (const auto& e : errors)
        if (e.message.rfind("malformed YAML", 0) == 0 || e.message.rfind("cannot read", 0) == 0) {
            any = true;
            if (out) {
                Error copy = e;
                if (copy.where.file.empty())
                    copy.where.file = file;
                out->push_back(std::move(copy));
            }
        }
    return any;
}

std::string joinDocuments(const std::vector<YAML::Node>& nodes) {
    std::string out;
    for (const auto& n : nodes) {
        if (!n.IsDefined())
            continue;
        if (!out.empty())
            out += "---\n";
        out += emitNode(n);
    }
    return out;
}

/// One document of a file, before and after.
struct DocPlan {
    const Document* doc = nullptr;
    bool typed = false;
    bool deleted = false;
    YAML::Node before;  ///< the exporter's view as read
    YAML::Node after;   ///< with the edited object laid over it
    bool changed() const { return deleted || !nodesEqual(before, after); }
    ObjectKey key;
};

/// Which node of its tree a document is: a top-level document, or the `index`-th item of a List.
struct Placement {
    bool topLevel = false;
    RawNode listItems;  ///< the items sequence holding it, when it is a List item
    std::size_t index = 0;
};

Placement placementOf(const Document& d) {
    Placement p;
    if (!d.tree)
        return p;
    for (std::size_t i = 0; i < d.tree->documentCount(); ++i) {
        const RawNode root = d.tree->document(i);
        if (root.is(d.raw)) {
            p.topLevel = true;
            return p;
        }
        const RawNode items = root.child("items");
        if (root.isMap() && items.isSequence())
            for (std::size_t k = 0; k < items.size(); ++k)
                if (items[k].is(d.raw)) {
                    p.listItems = items;
                    p.index = k;
                    return p;
                }
    }
    return p;
}

/// The whole lines of a top-level document, from its first content line to its last.
std::pair<std::size_t, std::size_t> documentLines(const TextMap& t, const Document& d) {
    const int first = d.raw.line();
    if (first < 0 || first >= t.lines())
        throw CannotPatch{"no position"};
    if (t.boundary(first) || t.indent(first) != 0)
        throw CannotPatch{"a document that does not start on its own line"};
    int last = first;
    for (int l = first + 1; l < t.lines() && !t.boundary(l); ++l)
        if (t.indent(l) >= 0)
            last = l;
    return {t.lineStart(first), t.afterLine(last)};
}

/// Deleting a top-level document: from the `---` that opens it (if any) to the next one.
Edit deleteDocument(const TextMap& t, const Document& d) {
    const int first = d.raw.line();
    if (first < 0 || first >= t.lines() || t.boundary(first))
        throw CannotPatch{"a document that does not start on its own line"};
    int start = first;
    for (int l = first - 1; l >= 0; --l) {
        if (t.boundary(l)) {
            start = l;
            break;
        }
        if (t.indent(l) >= 0)
            break;
    }
    int end = first + 1;
    while (end < t.lines() && !t.boundary(end))
        ++end;
    return {t.lineStart(start), end < t.lines() ? t.lineStart(end) : t.text().size(), {}};
}

class FileSaver {
public:
    FileSaver(const Source& source, const Config& fileConfig) : m_source(source), m_config(fileConfig) {}

    std::vector<DocPlan> plans;
    std::vector<YAML::Node> appended;  ///< new objects written at the end of this file

    bool anyChange() const {
        return !appended.empty() || std::any_of(plans.begin(), plans.end(), [](const DocPlan& p) { return p.changed(); });
    }

    /// The new text, or nullopt (with an error) when not even rewriting the documents reads back.
    std::optional<std::string> save(std::vector<std::string>& notes, std::vector<Error>& errors) const {
        if (!anyChange())
            return m_source.text;
        std::vector<std::string> patchNotes;
        std::string why;
        if (auto text = attempt(false, patchNotes, why)) {
            notes.insert(notes.end(), patchNotes.begin(), patchNotes.end());
            return text;
        }
        std::vector<std::string> rewriteNotes;
        std::string why2;
        if (auto text = attempt(true, rewriteNotes, why2)) {
            notes.push_back(m_source.fileName + ": the in-place patch did not read back as the edited config (" + why +
                            "); the changed documents are rewritten whole");
            notes.insert(notes.end(), rewriteNotes.begin(), rewriteNotes.end());
            return text;
        }
        SourceLocation where;
        where.file = m_source.fileName;
        errors.push_back(Error{where, "cannot save the edits back into this file faithfully (" + why2 +
                                          "); nothing written, use export instead"});
        return std::nullopt;
    }

private:
    std::optional<std::string> attempt(bool rewriteAll, std::vector<std::string>& notes, std::string& why) const {
        const TextMap t(m_source.text);
        const bool compact = usesCompactLists(t);
        std::vector<Edit> edits;
        try {
            for (const auto& p : plans) {
                if (!p.changed())
                    continue;
                const Placement place = placementOf(*p.doc);
                if (!place.topLevel && !place.listItems.isDefined())
                    throw CannotPatch{describe(p.key) + " is nested in a List this cannot edit"};
                Patcher patcher(t, compact);
                if (p.deleted) {
                    if (place.topLevel)
                        edits.push_back(deleteDocument(t, *p.doc));
                    else
                        patcher.removeItem(p.doc->raw);
                } else {
                    bool rewrite = rewriteAll;
                    if (!rewrite) {
                        try {
                            patcher.patch(p.before, p.after, p.doc->raw, Slot{});
                        } catch (const CannotPatch& e) {
                            rewrite = true;
                            notes.push_back(m_source.fileName + ": " + describe(p.key) + " rewritten whole (" + e.why +
                                            "); comments inside it are lost");
                        }
                    }
                    if (rewrite) {
                        patcher.edits().clear();
                        if (place.topLevel) {
                            const auto [from, to] = documentLines(t, *p.doc);
                            std::string text = emitNode(p.after);
                            if (to == m_source.text.size() && (m_source.text.empty() || m_source.text.back() != '\n'))
                                text.pop_back();
                            patcher.edits().push_back({from, to, text});
                        } else {
                            patcher.rewriteItem(p.doc->raw, p.after);
                        }
                    }
                }
                edits.insert(edits.end(), patcher.edits().begin(), patcher.edits().end());
            }
        } catch (const CannotPatch& e) {
            why = e.why;
            return std::nullopt;
        }
        auto text = applyEdits(m_source.text, edits);
        if (!text) {
            why = "edits overlap";
            return std::nullopt;
        }
        if (!appended.empty()) {
            std::string tail;
            for (const auto& n : appended)
                tail += (text->empty() && tail.empty() ? "" : "---\n") + emitNode(n);
            if (!text->empty() && text->back() != '\n')
                *text += '\n';
            *text += tail;
        }
        if (!readsBack(*text, why))
            return std::nullopt;
        return text;
    }

    /// The new text, read again, must export exactly as the edited objects over the documents read.
    bool readsBack(const std::string& text, std::string& why) const {
        std::vector<YAML::Node> expected;
        for (const auto& p : plans)
            if (!p.deleted)
                expected.push_back(p.after);
        expected.insert(expected.end(), appended.begin(), appended.end());
        const LoadResult again = loadSources({Source{m_source.fileName, text}});
        if (malformed(again.errors, m_source.fileName, nullptr)) {
            why = "the patched text is not valid YAML";
            return false;
        }
        if (exportYaml(again.config, asWritten()) != joinDocuments(expected)) {
            why = "the patched text reads back differently";
            return false;
        }
        return true;
    }

    const Source& m_source;
    const Config& m_config;
};

}  // namespace

bool SaveBackResult::changed() const {
    return std::any_of(files.begin(), files.end(), [](const FileChange& f) { return f.changed(); });
}

std::string SaveBackResult::diff() const {
    std::string out;
    for (const auto& f : files)
        if (f.changed())
            out += unifiedDiff(f.before, f.after, f.before.empty() ? std::string("/dev/null") : f.fileName, f.fileName);
    return out;
}

SaveBackResult saveBack(const std::vector<Source>& sources, const Config& edited, const SaveBackOptions& options) {
    SaveBackResult result;
    const ExportOptions opts = asWritten();

    // The edited objects by key (several of one key are matched in order).
    std::map<ObjectKey, std::deque<std::size_t>> editedIndex;
    std::map<Kind, std::vector<bool>> matched;
    for (Kind kind : {Kind::AIGatewayRoute, Kind::AIServiceBackend, Kind::Backend, Kind::BackendTrafficPolicy,
                      Kind::ClientTrafficPolicy, Kind::InferenceService}) {
        matched[kind].assign(typedCount(edited, kind), false);
        for (std::size_t i = 0; i < typedCount(edited, kind); ++i)
            editedIndex[keyOf(kind, typedMeta(edited, kind, i))].push_back(i);
    }

    std::vector<Config> fileConfigs;
    fileConfigs.reserve(sources.size());
    for (const auto& s : sources) {
        LoadResult loaded = loadSources({s});
        malformed(loaded.errors, s.fileName, &result.errors);
        fileConfigs.push_back(std::move(loaded.config));
    }
    if (!result.ok())
        return result;

    std::vector<FileSaver> savers;
    savers.reserve(sources.size());
    for (std::size_t f = 0; f < sources.size(); ++f) {
        const Config& fc = fileConfigs[f];
        FileSaver saver(sources[f], fc);
        std::map<Kind, std::size_t> seen;
        for (const auto& d : fc.documents) {
            DocPlan p;
            p.doc = &d;
            p.typed = typedKind(d.kind);
            if (!p.typed) {
                p.before = p.after = exportDocumentNode(fc, d, 0, opts);
                saver.plans.push_back(p);
                continue;
            }
            const std::size_t local = seen[d.kind]++;
            p.key = keyOf(d.kind, typedMeta(fc, d.kind, local));
            p.before = exportDocumentNode(fc, d, local, opts);
            auto& queue = editedIndex[p.key];
            if (queue.empty()) {
                p.deleted = true;
            } else {
                const std::size_t j = queue.front();
                queue.pop_front();
                matched[d.kind][j] = true;
                p.after = exportDocumentNode(edited, d, j, opts);
            }
            saver.plans.push_back(p);
        }
        savers.push_back(std::move(saver));
    }

    // Objects no file holds: appended to the target file.
    std::vector<YAML::Node> fresh;
    std::vector<std::string> freshNames;
    for (auto& [kind, flags] : matched)
        for (std::size_t j = 0; j < flags.size(); ++j)
            if (!flags[j]) {
                const std::string name = describe(keyOf(kind, typedMeta(edited, kind, j)));
                YAML::Node n = exportNewObjectNode(edited, kind, j, opts);
                if (!n.IsDefined()) {
                    result.errors.push_back(Error{{}, "cannot write a new " + name + " (no YAML for a new object of its kind)"});
                    continue;
                }
                fresh.push_back(n);
                freshNames.push_back(name);
                result.newObjects.push_back(name);
            }
    if (!fresh.empty() && options.newObjectsFile.empty()) {
        std::string names;
        for (const auto& n : freshNames)
            names += (names.empty() ? "" : ", ") + n;
        result.errors.push_back(Error{{}, std::to_string(fresh.size()) + " new object(s) (" + names +
                                              ") are in no file: name a file for them"});
    }
    if (!result.ok())
        return result;

    std::size_t target = sources.size();
    for (std::size_t f = 0; f < sources.size() && !fresh.empty(); ++f)
        if (sources[f].fileName == options.newObjectsFile)
            target = f;
    if (target < sources.size())
        savers[target].appended = fresh;

    for (std::size_t f = 0; f < sources.size(); ++f) {
        FileChange change{sources[f].fileName, sources[f].text, sources[f].text};
        if (auto text = savers[f].save(result.notes, result.errors))
            change.after = *text;
        result.files.push_back(std::move(change));
    }
    if (!fresh.empty() && target == sources.size()) {
        // A file that is not a source: its own documents are left as they are.
        const Source other{options.newObjectsFile, options.newObjectsText};
        const LoadResult loaded = loadSources({other});
        if (malformed(loaded.errors, other.fileName, &result.errors))
            return result;
        FileSaver saver(other, loaded.config);
        std::map<Kind, std::size_t> seen;
        for (const auto& d : loaded.config.documents) {
            DocPlan p;
            p.doc = &d;
            p.before = p.after = exportDocumentNode(loaded.config, d, typedKind(d.kind) ? seen[d.kind]++ : 0, opts);
            saver.plans.push_back(p);
        }
        saver.appended = fresh;
        FileChange change{other.fileName, other.text, other.text};
        if (auto text = saver.save(result.notes, result.errors))
            change.after = *text;
        result.files.push_back(std::move(change));
    }
    if (!result.ok())
        for (auto& f : result.files)
            f.after = f.before;  // nothing is to be written
    return result;
}

std::vector<Error> writeChanges(const SaveBackResult& result) {
    namespace fs = std::filesystem;
    std::vector<Error> errors;
    auto fail = [&errors](const std::string& file, const std::string& message) {
        SourceLocation where;
        where.file = file;
        errors.push_back(Error{where, message});
    };
    if (!result.ok()) {
        errors = result.errors;
        return errors;
    }
    std::vector<std::pair<const FileChange*, std::string>> temps;
    auto cleanUp = [&temps] {
        for (const auto& t : temps) {
            std::error_code ec;
            fs::remove(t.second, ec);
        }
    };
    for (const auto& f : result.files) {
        if (!f.changed())
            continue;
        if (f.fileName.empty() || f.fileName == "-" || f.fileName == kStdinName) {
            fail(f.fileName, "cannot save back to standard input");
            continue;
        }
        std::error_code ec;
        const bool exists = fs::exists(f.fileName, ec);
        std::string onDisk;
        if (exists) {
            std::ifstream in(f.fileName, std::ios::binary);
            std::ostringstream s;
            s << in.rdbuf();
            if (!in) {
                fail(f.fileName, "cannot read: " + std::string(std::strerror(errno)));
                continue;
            }
            onDisk = s.str();
        }
        if ((exists || !f.before.empty()) && onDisk != f.before) {
            fail(f.fileName, "changed on disk since it was read; nothing written (load it again)");
            continue;
        }
        const std::string temp = f.fileName + ".aigw-sim-save";
        {
            std::ofstream out(temp, std::ios::binary | std::ios::trunc);
            out << f.after;
            out.close();
            if (!out) {
                fail(f.fileName, "cannot write " + temp + ": " + std::strerror(errno));
                fs::remove(temp, ec);
                continue;
            }
        }
        if (exists)
            fs::permissions(temp, fs::status(f.fileName, ec).permissions(), ec);
        temps.emplace_back(&f, temp);
    }
    if (!errors.empty()) {
        cleanUp();
        return errors;
    }
    for (const auto& [f, temp] : temps) {
        std::error_code ec;
        fs::rename(temp, f->fileName, ec);
        if (ec)
            fail(f->fileName, "cannot replace it: " + ec.message());
    }
    if (!errors.empty())
        cleanUp();
    return errors;
}

}  // namespace aigw::config
