#include "config/yaml_tree.h"

#include <yaml.h>

#include <cstring>
#include <algorithm>
#include <limits>
#include <optional>
#include <thread>
#include <tuple>

namespace aigw::config {
namespace {

/// yaml-cpp reads these plain scalars as Null (IsNullString).
bool isNullString(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

/// libyaml (YAML 1.1) breaks lines at NEL, LS and PS too; yaml-cpp does not. Text that has them
/// goes to yaml-cpp so that its scalars read as before.
bool hasUnicodeBreaks(const std::string& text) {
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    for (const char lead : {'\xC2', '\xE2'}) {
        for (const char* p = begin; (p = static_cast<const char*>(std::memchr(p, lead, static_cast<std::size_t>(end - p))));
             ++p) {
            if (lead == '\xC2' && end - p > 1 && p[1] == '\x85')
                return true;
            if (lead == '\xE2' && end - p > 2 && p[1] == '\x80' && (p[2] == '\xA8' || p[2] == '\xA9'))
                return true;
        }
    }
    return false;
}

/// Translates libyaml's marks into yaml-cpp's: libyaml counts columns in characters, yaml-cpp in
/// bytes; and yaml-cpp marks an empty value (`key:` and nothing) at the token after it.
class Marks {
public:
    explicit Marks(std::string_view text) : m_text(text) {
        m_ascii = std::none_of(text.begin(), text.end(), [](char c) { return (c & 0x80) != 0; });
        m_lineStarts.push_back(0);
        for (const char* p = text.data(); (p = static_cast<const char*>(std::memchr(p, '\n', text.data() + text.size() - p)));)
            m_lineStarts.push_back(static_cast<std::size_t>(++p - text.data()));
    }

    /// The byte column of the `column`-th character of `line`.
    std::int32_t byteColumn(std::size_t line, std::size_t column) const {
        if (m_ascii || line >= m_lineStarts.size())
            return static_cast<std::int32_t>(column);
        std::size_t at = m_lineStarts[line];
        for (std::size_t chars = 0; at < m_text.size() && chars < column; ++chars)
            for (++at; at < m_text.size() && (m_text[at] & 0xC0) == 0x80; ++at) {
            }
        return static_cast<std::int32_t>(at - m_lineStarts[line]);
    }

    /// Where the next token after (line, byte column) starts: past blanks, line breaks and comments.
    std::pair<std::int32_t, std::int32_t> nextToken(std::size_t line, std::int32_t column) const {
        std::size_t at = line < m_lineStarts.size() ? m_lineStarts[line] + static_cast<std::size_t>(column) : m_text.size();
        while (at < m_text.size()) {
            const char c = m_text[at];
            if (c == '#') {
                const auto eol = m_text.find('\n', at);
                at = eol == std::string::npos ? m_text.size() : eol;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                ++at;
            } else {
                break;
            }
        }
        const auto next = std::upper_bound(m_lineStarts.begin(), m_lineStarts.end(), at) - 1;
        return {static_cast<std::int32_t>(next - m_lineStarts.begin()), static_cast<std::int32_t>(at - *next)};
    }

private:
    std::string_view m_text;
    bool m_ascii = true;
    std::vector<std::size_t> m_lineStarts;
};

/// Owns a libyaml parser and its current event.
class Parser {
public:
    explicit Parser(std::string_view text) {
        yaml_parser_initialize(&m_parser);
        yaml_parser_set_input_string(&m_parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    }
    ~Parser() {
        if (m_hasEvent)
            yaml_event_delete(&m_event);
        yaml_parser_delete(&m_parser);
    }
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;

    /// The next event; null at a parse error.
    const yaml_event_t* next() {
        if (m_hasEvent)
            yaml_event_delete(&m_event);
        m_hasEvent = yaml_parser_parse(&m_parser, &m_event) != 0;
        return m_hasEvent ? &m_event : nullptr;
    }

private:
    yaml_parser_t m_parser{};
    yaml_event_t m_event{};
    bool m_hasEvent = false;
};

}  // namespace

// ---- RawNode ----

bool RawNode::isNull() const { return m_tree && m_tree->at(m_id).type == YamlTree::Type::Null; }
bool RawNode::isScalar() const { return m_tree && m_tree->at(m_id).type == YamlTree::Type::Scalar; }
bool RawNode::isSequence() const { return m_tree && m_tree->at(m_id).type == YamlTree::Type::Sequence; }
bool RawNode::isMap() const { return m_tree && m_tree->at(m_id).type == YamlTree::Type::Map; }

std::string_view RawNode::scalar() const {
    if (!isScalar())
        return {};
    const auto& n = m_tree->at(m_id);
    return std::string_view(m_tree->m_text).substr(n.begin, n.count);
}

std::string_view RawNode::tag() const {
    if (!m_tree)
        return {};
    const auto& n = m_tree->at(m_id);
    if (n.type == YamlTree::Type::Null)
        return {};
    if (n.tag > 0)
        return m_tree->m_tags[n.tag - 1u];
    return n.nonPlain ? "!" : "?";
}

int RawNode::line() const { return m_tree ? m_tree->at(m_id).line : -1; }
int RawNode::column() const { return m_tree ? m_tree->at(m_id).column : -1; }

std::size_t RawNode::size() const {
    if (!m_tree)
        return 0;
    const auto& n = m_tree->at(m_id);
    return n.type == YamlTree::Type::Sequence || n.type == YamlTree::Type::Map ? n.count : 0;
}

RawNode RawNode::operator[](std::size_t i) const {
    if (!isSequence() || i >= size())
        return {};
    return RawNode(m_tree, m_tree->m_children[m_tree->at(m_id).begin + i]);
}

RawNode RawNode::key(std::size_t i) const {
    if (!isMap() || i >= size())
        return {};
    return RawNode(m_tree, m_tree->m_children[m_tree->at(m_id).begin + 2 * i]);
}

RawNode RawNode::value(std::size_t i) const {
    if (!isMap() || i >= size())
        return {};
    return RawNode(m_tree, m_tree->m_children[m_tree->at(m_id).begin + 2 * i + 1]);
}

RawNode RawNode::child(std::string_view key) const {
    if (!isMap())
        return {};
    const auto& n = m_tree->at(m_id);
    for (std::uint32_t i = 0; i < n.count; ++i) {
        const auto& k = m_tree->at(m_tree->m_children[n.begin + 2 * i]);
        if (k.type == YamlTree::Type::Scalar && k.count == key.size() &&
            std::memcmp(m_tree->m_text.data() + k.begin, key.data(), key.size()) == 0)
            return RawNode(m_tree, m_tree->m_children[n.begin + 2 * i + 1]);
    }
    return {};
}

// ---- YamlTree ----

std::size_t YamlTree::bytes() const {
    std::size_t b = m_nodes.capacity() * sizeof(Node) + m_children.capacity() * sizeof(std::uint32_t) +
                    m_text.capacity() + m_documents.capacity() * sizeof(std::uint32_t);
    for (const auto& t : m_tags)
        b += sizeof(std::string) + t.capacity();
    return b;
}

std::uint16_t YamlTree::tagIndex(const std::string& tag) {
    for (std::size_t i = 0; i < m_tags.size(); ++i)
        if (m_tags[i] == tag)
            return static_cast<std::uint16_t>(i + 1);
    if (m_tags.size() + 1 >= std::numeric_limits<std::uint16_t>::max())
        return 0;  // tens of thousands of distinct tags: the rest read as untagged
    m_tags.push_back(tag);
    return static_cast<std::uint16_t>(m_tags.size());
}

std::uint32_t YamlTree::add(Node node, const std::vector<std::uint32_t>& kids) {
    node.begin = static_cast<std::uint32_t>(m_children.size());
    node.count = static_cast<std::uint32_t>(node.type == Type::Map ? kids.size() / 2 : kids.size());
    m_children.insert(m_children.end(), kids.begin(), kids.end());
    m_nodes.push_back(node);
    return static_cast<std::uint32_t>(m_nodes.size() - 1);
}

std::uint32_t YamlTree::addScalar(Node node, std::string_view text) {
    node.begin = static_cast<std::uint32_t>(m_text.size());
    node.count = static_cast<std::uint32_t>(text.size());
    m_text.append(text);
    m_nodes.push_back(node);
    return static_cast<std::uint32_t>(m_nodes.size() - 1);
}

/// Where kubectl's `kind: List` can be cut in two for two threads: one document, `items:` at column
/// 0, each item a `-` at column 0 (an item's own lines are indented, so a line at column 0 starts an
/// item, ends the list, or is blank or a comment). A cut that lands inside a multi-line quoted scalar
/// or flow collection leaves one half unterminated: it fails to parse and the whole text is parsed
/// in one piece instead.
struct ListSplit {
    std::size_t itemsBegin = 0, middle = 0, itemsEnd = 0;     ///< byte offsets of line starts
    std::size_t itemsLine = 0, middleLine = 0, itemLines = 0;  ///< their lines; lines of the items
};

namespace {

std::optional<ListSplit> splitList(const std::string& text) {
    if (text.find('\r') != std::string::npos)
        return std::nullopt;  // libyaml breaks lines at a lone CR too: keep the line arithmetic simple
    ListSplit split;
    enum { Before, Items, After } state = Before;
    std::vector<std::pair<std::size_t, std::size_t>> items;  // (offset, line) of each `-` at column 0
    std::size_t line = 0;
    for (std::size_t pos = 0; pos < text.size(); ++line) {
        const std::size_t eol = std::min(text.find('\n', pos), text.size());
        const std::string_view l(text.data() + pos, eol - pos);
        if (l.rfind("---", 0) == 0 || l.rfind("...", 0) == 0)
            return std::nullopt;  // several documents
        if (state == Before && l.find_last_not_of(' ') == 5 && l.rfind("items:", 0) == 0) {
            state = Items;
            split.itemsBegin = eol + 1;
            split.itemsLine = line + 1;
        } else if (state == Items && !l.empty() && l[0] == '-' && (l.size() == 1 || l[1] == ' ')) {
            items.emplace_back(pos, line);
        } else if (state == Items && !l.empty() && l[0] != ' ' && l[0] != '#') {
            state = After;
            split.itemsEnd = pos;
        }
        pos = eol + 1;
    }
    if (state == Before || items.size() < 2)
        return std::nullopt;
    if (state == Items)
        split.itemsEnd = text.size();
    split.itemsBegin = std::min(split.itemsBegin, text.size());
    const std::size_t half = split.itemsBegin + (split.itemsEnd - split.itemsBegin) / 2;
    const auto mid = std::lower_bound(items.begin() + 1, items.end(), std::make_pair(half, std::size_t(0)));
    std::tie(split.middle, split.middleLine) = mid == items.end() ? items.back() : *mid;
    split.itemLines = static_cast<std::size_t>(
        std::count(text.begin() + static_cast<std::ptrdiff_t>(split.itemsBegin),
                   text.begin() + static_cast<std::ptrdiff_t>(split.itemsEnd), '\n'));
    return split;
}

}  // namespace

std::shared_ptr<const YamlTree> YamlTree::parseFast(const std::string& text, std::size_t splitFrom) {
    if (auto tree = parseBlock(text))  // ASCII only: no unusual line breaks
        return tree;
    return parseEvents(text, splitFrom);
}

std::shared_ptr<const YamlTree> YamlTree::parseEvents(const std::string& text, std::size_t splitFrom) {
    // Offsets are 32-bit; far larger inputs (and unusual line breaks) are yaml-cpp's.
    if (text.size() >= std::numeric_limits<std::uint32_t>::max() / 2 || hasUnicodeBreaks(text))
        return nullptr;
    if (text.size() >= splitFrom)
        if (const auto split = splitList(text))
            if (auto tree = parseSplit(text, *split))
                return tree;
    return parseOne(text);
}

std::shared_ptr<YamlTree> YamlTree::parseSplit(const std::string& text, const ListSplit& split) {
    // The List without its items (blank lines in their place, so that the lines after them keep their
    // numbers), the first half of the items, the second half (both in place, their lines shifted).
    std::string root = text.substr(0, split.itemsBegin);
    root.append(split.itemLines, '\n');
    root.append(text, split.itemsEnd);
    const std::string_view all(text);
    std::shared_ptr<YamlTree> b;
    std::thread other([&] {
        b = parseOne(all.substr(split.middle, split.itemsEnd - split.middle), static_cast<std::int32_t>(split.middleLine));
    });
    const auto out = parseOne(root);
    const auto a = parseOne(all.substr(split.itemsBegin, split.middle - split.itemsBegin),
                            static_cast<std::int32_t>(split.itemsLine));
    other.join();
    const auto isSeq = [](const std::shared_ptr<YamlTree>& t) {
        return t && t->m_tags.empty() && t->documentCount() == 1 && t->document(0).isSequence();
    };
    if (!out || !out->m_tags.empty() || out->documentCount() != 1 || !out->document(0).child("items").isNull() ||
        !isSeq(a) || !isSeq(b))
        return nullptr;
    // Append both halves (ids and text offsets shifted), then one sequence of all their items in place
    // of the root's null `items`.
    out->m_nodes.reserve(out->m_nodes.size() + a->m_nodes.size() + b->m_nodes.size() + 1);
    out->m_children.reserve(out->m_children.size() + a->m_children.size() + b->m_children.size() + a->document(0).size() +
                            b->document(0).size());
    out->m_text.reserve(out->m_text.size() + a->m_text.size() + b->m_text.size());
    std::vector<std::uint32_t> items;
    for (const YamlTree* half : {a.get(), b.get()}) {
        const auto nodeBase = static_cast<std::uint32_t>(out->m_nodes.size());
        const auto childBase = static_cast<std::uint32_t>(out->m_children.size());
        const auto textBase = static_cast<std::uint32_t>(out->m_text.size());
        for (Node n : half->m_nodes) {
            n.begin += n.type == Type::Sequence || n.type == Type::Map ? childBase : textBase;
            out->m_nodes.push_back(n);
        }
        for (const std::uint32_t c : half->m_children)
            out->m_children.push_back(c + nodeBase);
        out->m_text += half->m_text;
        const Node& seq = half->at(half->m_documents[0]);
        for (std::uint32_t i = 0; i < seq.count; ++i)
            items.push_back(half->m_children[seq.begin + i] + nodeBase);
    }
    const std::uint32_t list = out->add(a->at(a->m_documents[0]), items);
    const Node& rootMap = out->at(out->m_documents[0]);
    for (std::uint32_t i = 0; i < rootMap.count; ++i) {
        const Node& key = out->at(out->m_children[rootMap.begin + 2 * i]);
        if (key.type == Type::Scalar && std::string_view(out->m_text).substr(key.begin, key.count) == "items") {
            out->m_children[rootMap.begin + 2 * i + 1] = list;
            break;
        }
    }
    return out;
}

std::shared_ptr<YamlTree> YamlTree::parseOne(std::string_view text, std::int32_t firstLine) {
    auto tree = std::make_shared<YamlTree>();
    // Kubernetes YAML runs about one node per 16 bytes and 60 % of it is scalar text.
    tree->m_nodes.reserve(text.size() / 16);
    tree->m_children.reserve(text.size() / 16);
    tree->m_text.reserve(text.size() * 3 / 5);
    struct Open {
        Node node;
        std::vector<std::uint32_t> kids;
    };
    std::vector<Open> open;  // collections being read, outermost first; their kids vectors are reused
    std::size_t depth = 0;
    Parser parser(text);
    auto done = [&](std::uint32_t id) {
        if (depth == 0)
            tree->m_documents.push_back(id);
        else
            open[depth - 1].kids.push_back(id);
    };
    const Marks marks(text);
    while (true) {
        const yaml_event_t* ev = parser.next();
        if (!ev)
            return nullptr;  // yaml-cpp reports the error in its own words
        Node node;
        node.line = firstLine + static_cast<std::int32_t>(ev->start_mark.line);
        node.column = marks.byteColumn(ev->start_mark.line, ev->start_mark.column);
        switch (ev->type) {
        case YAML_STREAM_END_EVENT:
            tree->m_nodes.shrink_to_fit();
            tree->m_children.shrink_to_fit();
            tree->m_text.shrink_to_fit();
            return tree;
        case YAML_ALIAS_EVENT:
            return nullptr;  // yaml-cpp shares the aliased node; the loader bounds its expansion there
        case YAML_SCALAR_EVENT: {
            const auto& s = ev->data.scalar;
            if (s.tag)
                return nullptr;
            const std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
            if (s.style == YAML_PLAIN_SCALAR_STYLE && isNullString(value)) {
                node.type = Type::Null;
                if (value.empty()) {
                    std::tie(node.line, node.column) = marks.nextToken(ev->start_mark.line, node.column);
                    node.line += firstLine;
                }
                done(tree->addScalar(node, {}));
            } else {
                node.type = Type::Scalar;
                node.nonPlain = s.style != YAML_PLAIN_SCALAR_STYLE;
                done(tree->addScalar(node, value));
            }
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            const bool map = ev->type == YAML_MAPPING_START_EVENT;
            if (map ? ev->data.mapping_start.tag != nullptr : ev->data.sequence_start.tag != nullptr)
                return nullptr;
            if (depth >= kMaxDepth)
                return nullptr;
            node.type = map ? Type::Map : Type::Sequence;
            if (open.size() <= depth)
                open.emplace_back();
            open[depth].node = node;
            open[depth].kids.clear();
            ++depth;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            --depth;
            done(tree->add(open[depth].node, open[depth].kids));
            break;
        }
        default:
            break;  // stream and document start, document end
        }
    }
}

std::uint32_t YamlTree::copy(const YAML::Node& n) {
    Node node;
    const YAML::Mark mark = n.Mark();
    node.line = mark.line;  // -1 for a null mark
    node.column = mark.column;
    const std::string& tag = n.Tag();
    switch (n.Type()) {
    case YAML::NodeType::Scalar:
        node.type = Type::Scalar;
        node.nonPlain = tag == "!";
        node.tag = tag == "!" || tag == "?" ? 0 : tagIndex(tag);
        return addScalar(node, n.Scalar());
    case YAML::NodeType::Sequence:
    case YAML::NodeType::Map: {
        const bool map = n.IsMap();
        node.type = map ? Type::Map : Type::Sequence;
        node.tag = tag.empty() || tag == "?" ? 0 : tagIndex(tag);
        std::vector<std::uint32_t> kids;
        kids.reserve(map ? 2 * n.size() : n.size());
        if (map) {
            for (const auto& kv : n) {
                kids.push_back(copy(kv.first));
                kids.push_back(copy(kv.second));
            }
        } else {
            for (const auto& item : n)
                kids.push_back(copy(item));
        }
        return add(node, kids);
    }
    default:
        node.type = Type::Null;
        return addScalar(node, {});
    }
}

std::shared_ptr<const YamlTree> YamlTree::fromYamlCpp(const std::vector<YAML::Node>& documents) {
    auto tree = std::make_shared<YamlTree>();
    for (const auto& d : documents)
        tree->m_documents.push_back(tree->copy(d));
    return tree;
}

YAML::Node toYamlCpp(const RawNode& n) {
    if (!n.isDefined())
        return YAML::Node(YAML::NodeType::Undefined);
    if (n.isNull())
        return YAML::Node(YAML::NodeType::Null);
    if (n.isScalar()) {
        YAML::Node s(std::string(n.scalar()));
        s.SetTag(std::string(n.tag()));
        return s;
    }
    YAML::Node out(n.isMap() ? YAML::NodeType::Map : YAML::NodeType::Sequence);
    out.SetTag(std::string(n.tag()));
    if (n.isMap()) {
        for (std::size_t i = 0; i < n.size(); ++i)
            out.force_insert(toYamlCpp(n.key(i)), toYamlCpp(n.value(i)));
    } else {
        for (std::size_t i = 0; i < n.size(); ++i)
            out.push_back(toYamlCpp(n[i]));
    }
    return out;
}

}  // namespace aigw::config
