#include "config/text_diff.h"

#include <algorithm>
#include <string_view>
#include <vector>

namespace aigw::config {
namespace {

/// Lines with their '\n' (the last one may have none).
std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto nl = text.find('\n', at);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        lines.push_back(text.substr(at, end - at));
        at = end;
    }
    return lines;
}

enum class Op { Keep, Del, Add };

/// Myers' greedy shortest edit script between a[0..n) and b[0..m), as a list of operations.
std::vector<Op> shortestEdit(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
    const int n = static_cast<int>(a.size());
    const int m = static_cast<int>(b.size());
    const int max = n + m;
    std::vector<int> v(2 * static_cast<std::size_t>(max) + 4, 0);
    std::vector<std::vector<int>> trace;
    const int off = max + 1;
    int dFound = 0;
    for (int d = 0; d <= max; ++d) {
        // Only v[-d-1 .. d+1] can be read back at step d: O(D^2) memory, not O(D x (n + m)).
        trace.emplace_back(v.begin() + (off - d - 1), v.begin() + (off + d + 2));
        bool done = false;
        for (int k = -d; k <= d; k += 2) {
            int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
            int y = x - k;
            while (x < n && y < m && a[x] == b[y]) {
                ++x;
                ++y;
            }
            v[off + k] = x;
            if (x >= n && y >= m) {
                done = true;
                break;
            }
        }
        if (done) {
            dFound = d;
            break;
        }
    }
    // Walk the trace back from (n, m).
    std::vector<Op> ops;
    int x = n;
    int y = m;
    for (int d = dFound; d > 0; --d) {
        const std::vector<int>& pv = trace[static_cast<std::size_t>(d)];
        const auto at = [&](int kk) { return pv[static_cast<std::size_t>(kk + d + 1)]; };
        const int k = x - y;
        const bool down = k == -d || (k != d && at(k - 1) < at(k + 1));
        const int prevK = down ? k + 1 : k - 1;
        const int prevX = at(prevK);
        const int prevY = prevX - prevK;
        while (x > prevX && y > prevY) {
            ops.push_back(Op::Keep);
            --x;
            --y;
        }
        ops.push_back(down ? Op::Add : Op::Del);
        x = prevX;
        y = prevY;
    }
    while (x > 0 && y > 0) {
        ops.push_back(Op::Keep);
        --x;
        --y;
    }
    std::reverse(ops.begin(), ops.end());
    return ops;
}

/// GNU diff's range: "start,count", "start" when count is 1, the line before when count is 0.
std::string range(std::size_t start, std::size_t count) {
    if (count == 1)
        return std::to_string(start + 1);
    return std::to_string(count == 0 ? start : start + 1) + "," + std::to_string(count);
}

void appendLine(std::string& out, char prefix, std::string_view line) {
    out += prefix;
    out.append(line.data(), line.size());
    if (line.empty() || line.back() != '\n')
        out += "\n\\ No newline at end of file\n";
}

}  // namespace

std::string unifiedDiff(const std::string& before, const std::string& after, const std::string& fromName,
                        const std::string& toName, int context) {
    if (before == after)
        return {};
    const auto a = splitLines(before);
    const auto b = splitLines(after);
    // The common head and tail are kept as they are; Myers runs on the middle only.
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head])
        ++head;
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
        ++tail;
    const std::vector<std::string_view> midA(a.begin() + static_cast<std::ptrdiff_t>(head), a.end() - static_cast<std::ptrdiff_t>(tail));
    const std::vector<std::string_view> midB(b.begin() + static_cast<std::ptrdiff_t>(head), b.end() - static_cast<std::ptrdiff_t>(tail));
    std::vector<Op> ops(head, Op::Keep);
    const auto mid = shortestEdit(midA, midB);
    ops.insert(ops.end(), mid.begin(), mid.end());
    ops.insert(ops.end(), tail, Op::Keep);

    // Positions in a and b before each op.
    std::vector<std::size_t> ia(ops.size() + 1);
    std::vector<std::size_t> ib(ops.size() + 1);
    for (std::size_t i = 0; i < ops.size(); ++i) {
        ia[i + 1] = ia[i] + (ops[i] != Op::Add ? 1 : 0);
        ib[i + 1] = ib[i] + (ops[i] != Op::Del ? 1 : 0);
    }
    std::string out = "--- " + fromName + "\n+++ " + toName + "\n";
    const std::size_t ctx = static_cast<std::size_t>(std::max(0, context));
    std::size_t i = 0;
    while (i < ops.size()) {
        if (ops[i] == Op::Keep) {
            ++i;
            continue;
        }
        // A hunk: from `ctx` lines before this change to `ctx` lines after the last change that is
        // at most 2 x ctx kept lines away from the previous one.
        const std::size_t start = i >= ctx ? i - ctx : 0;
        std::size_t end = i;
        std::size_t j = i;
        while (j < ops.size()) {
            if (ops[j] != Op::Keep) {
                end = j + 1;
                ++j;
                continue;
            }
            std::size_t run = j;
            while (run < ops.size() && ops[run] == Op::Keep)
                ++run;
            if (run == ops.size() || run - j > 2 * ctx)
                break;
            j = run;
        }
        const std::size_t stop = std::min(ops.size(), end + ctx);
        out += "@@ -" + range(ia[start], ia[stop] - ia[start]) + " +" + range(ib[start], ib[stop] - ib[start]) + " @@\n";
        for (std::size_t k = start; k < stop; ++k) {
            switch (ops[k]) {
            case Op::Keep: appendLine(out, ' ', a[ia[k]]); break;
            case Op::Del: appendLine(out, '-', a[ia[k]]); break;
            case Op::Add: appendLine(out, '+', b[ib[k]]); break;
            }
        }
        i = stop;
    }
    return out;
}

}  // namespace aigw::config
