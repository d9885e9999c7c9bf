#pragma once
// A fixed-capacity ring buffer: pushing into a full buffer drops the oldest element. Memory stays
// bounded however long the app runs (the request log, the timeline and the series all use it).

#include <cstddef>
#include <vector>

namespace aigw::ui {

template <typename T>
class RingBuffer {
public:
    explicit RingBuffer(std::size_t capacity) : m_data(capacity ? capacity : 1) {}

    /// Appends `v`; returns true when the oldest element was dropped to make room.
    bool push(T v) {
        const bool dropped = m_size == m_data.size();
        m_data[(m_start + m_size) % m_data.size()] = std::move(v);
        if (dropped)
            m_start = (m_start + 1) % m_data.size();
        else
            ++m_size;
        return dropped;
    }
    /// Removes the `n` oldest elements.
    void dropFront(std::size_t n) {
        if (n >= m_size) {
            clear();
            return;
        }
        m_start = (m_start + n) % m_data.size();
        m_size -= n;
    }
    void clear() {
        m_start = 0;
        m_size = 0;
    }
    /// Element `i`, 0 = oldest.
    const T& at(std::size_t i) const { return m_data[(m_start + i) % m_data.size()]; }
    T& at(std::size_t i) { return m_data[(m_start + i) % m_data.size()]; }
    const T& back() const { return at(m_size - 1); }
    std::size_t size() const { return m_size; }
    std::size_t capacity() const { return m_data.size(); }
    bool empty() const { return m_size == 0; }

private:
    std::vector<T> m_data;
    std::size_t m_start = 0;
    std::size_t m_size = 0;
};

}  // namespace aigw::ui
