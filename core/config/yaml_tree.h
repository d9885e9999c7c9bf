#pragma once
// The YAML the loader read, held compactly: every node of a parsed stream in one array, scalars in
// one string, with the line and column each node started at.
//
// Why not yaml-cpp's YAML::Node: a cluster's config (4,208 objects, 4.7 MiB of `kubectl get -o yaml`)
// took yaml-cpp 1.2 s to parse and 140 MiB to hold (a node is a few hundred bytes behind shared
// pointers), which made every POST /config of it take seconds and the gateway hold its memory twice.
// libyaml's event parser reads it in about 0.1 s into this tree (about 20 bytes a node). The readers
// (loader, validate, locations) walk the tree; the exporter, which edits and writes YAML, builds one
// document's YAML::Node at a time with toYamlCpp().
//
// The tree reads as yaml-cpp would have read the same text: a plain `~`, `null`, `Null`, `NULL` or
// empty value is Null, tags are yaml-cpp's ("?" plain, "!" quoted or block scalar), marks are 0-based.
// Streams libyaml rejects, and those with aliases or explicit tags (never in what kubectl prints), are
// parsed by yaml-cpp as before and copied into the tree, so their errors and meaning do not change.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace aigw::config {

class YamlTree;
struct ListSplit;     // yaml_tree.cpp
class BlockScanner;  // yaml_block.cpp

/// One node of a YamlTree: a view, valid while its tree lives (a Document keeps its tree alive).
/// A default-constructed node is undefined, as yaml-cpp's missing key.
class RawNode {
public:
    RawNode() = default;

    bool isDefined() const { return m_tree != nullptr; }
    bool isNull() const;
    bool isScalar() const;
    bool isSequence() const;
    bool isMap() const;
    /// The scalar's text; empty for other nodes.
    std::string_view scalar() const;
    /// As yaml-cpp's Tag(): "?" for a plain scalar or a collection, "!" for a quoted or block scalar,
    /// else the explicit tag; empty for Null and undefined nodes.
    std::string_view tag() const;
    /// Where the node starts (0-based, as YAML::Mark); -1 when undefined.
    int line() const;
    int column() const;
    /// Items of a sequence, entries of a map; 0 otherwise.
    std::size_t size() const;
    /// The i-th item of a sequence; undefined past the end or for other nodes.
    RawNode operator[](std::size_t i) const;
    /// The key and the value of a map's i-th entry; undefined past the end or for other nodes.
    RawNode key(std::size_t i) const;
    RawNode value(std::size_t i) const;
    /// The value of the first entry whose key is the scalar `key`; undefined when none.
    RawNode child(std::string_view key) const;
    /// The same node of the same tree.
    bool is(const RawNode& other) const { return m_tree == other.m_tree && m_id == other.m_id; }

private:
    friend class YamlTree;
    RawNode(const YamlTree* tree, std::uint32_t id) : m_tree(tree), m_id(id) {}
    const YamlTree* m_tree = nullptr;
    std::uint32_t m_id = 0;
};

/// A parsed YAML stream (one file or text).
class YamlTree {
public:
    /// The documents of the stream, in order (yaml-cpp's LoadAll would return as many).
    std::size_t documentCount() const { return m_documents.size(); }
    RawNode document(std::size_t i) const { return RawNode(this, m_documents[i]); }
    /// Bytes held (nodes, children, scalar text), for the memory figures.
    std::size_t bytes() const;

    /// Nesting deeper than this is left to yaml-cpp (the loader rejects it there, as before).
    static constexpr std::size_t kMaxDepth = 200;
    /// Parses `text` with libyaml. Null when libyaml rejects it, or it has aliases or explicit tags,
    /// or nests deeper than kMaxDepth: the caller then parses it with yaml-cpp (whose errors the
    /// user sees, as before) and copies the documents with fromYamlCpp().
    /// A `kind: List` of at least `splitFrom` bytes (kubectl's shape: items at column 0) is parsed in
    /// two halves on two threads and joined: the same tree, in about half the time.
    static constexpr std::size_t kSplitFrom = 512 * 1024;
    static std::shared_ptr<const YamlTree> parseFast(const std::string& text, std::size_t splitFrom = kSplitFrom);
    /// parseFast without the block scanner: libyaml's events only (bench/yaml_bench compares them).
    static std::shared_ptr<const YamlTree> parseEvents(const std::string& text, std::size_t splitFrom = kSplitFrom);
    /// Parses `text` without libyaml when it is block YAML as kubectl prints it (yaml_block.cpp lists
    /// the subset): the tree yaml-cpp would build, several times faster than libyaml. Null for any
    /// text outside the subset (parseFast then reads it with libyaml).
    static std::shared_ptr<YamlTree> parseBlock(std::string_view text);
    /// A tree holding yaml-cpp documents (aliases expanded: the caller bounds their size first).
    static std::shared_ptr<const YamlTree> fromYamlCpp(const std::vector<YAML::Node>& documents);

private:
    friend class RawNode;
    friend class BlockScanner;
    enum class Type : std::uint8_t { Null, Scalar, Sequence, Map };
    struct Node {
        Type type = Type::Null;
        bool nonPlain = false;    ///< a quoted or block scalar (tag "!")
        std::uint16_t tag = 0;    ///< 0: yaml-cpp's default tag; else 1 + index into m_tags
        std::int32_t line = 0;    ///< -1: no mark (a node yaml-cpp made up)
        std::int32_t column = 0;
        std::uint32_t begin = 0;  ///< scalar: offset in m_text; collection: first id in m_children
        std::uint32_t count = 0;  ///< scalar: length; sequence: items; map: entries (2 ids each)
    };
    const Node& at(std::uint32_t id) const { return m_nodes[id]; }
    /// Parses `text` in one piece; its first line is line `firstLine` of the stream it was cut from.
    static std::shared_ptr<YamlTree> parseOne(std::string_view text, std::int32_t firstLine = 0);
    static std::shared_ptr<YamlTree> parseSplit(const std::string& text, const ListSplit& split);
    std::uint16_t tagIndex(const std::string& tag);
    /// Appends a node whose children (ids, two per map entry) are `kids`; returns its id.
    std::uint32_t add(Node node, const std::vector<std::uint32_t>& kids);
    std::uint32_t addScalar(Node node, std::string_view text);
    std::uint32_t copy(const YAML::Node& node);

    std::vector<Node> m_nodes;
    std::vector<std::uint32_t> m_children;
    std::string m_text;
    std::vector<std::string> m_tags;
    std::vector<std::uint32_t> m_documents;
};

/// The document or subtree as a yaml-cpp node (a fresh one, free to edit), as yaml-cpp's parser
/// would have built it from the same text (type, scalars and tags; no marks).
YAML::Node toYamlCpp(const RawNode& node);

}  // namespace aigw::config
