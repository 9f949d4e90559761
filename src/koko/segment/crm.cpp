// The CRM map: the buyer segments of the method (loyal / general / lapsed) from orders, 9seg where preference is
// known, and how customers moved between two dates.
#include <fmt/format.h>

#include "koko/core/error.hpp"
#include "koko/segment/segment.hpp"

namespace koko::segment {

void check_rules(const CrmRules& r) {
  auto bad = [](std::string what, std::string hint) {
    throw Error{ErrorCode::usage, std::move(what), "", std::move(hint)};
  };
  if (r.current_max_recency_days < 0)
    bad(fmt::format("segment.current.max_recency_days = {} is negative", r.current_max_recency_days),
        "set it to 0 or more days (default 365)");
  if (r.loyal_max_recency_days < 0)
    bad(fmt::format("segment.loyal.max_recency_days = {} is negative", r.loyal_max_recency_days),
        "set it to 0 or more days (default 180)");
  if (r.loyal_min_purchase_days < 1)
    bad(fmt::format("segment.loyal.min_purchase_days = {} is below 1", r.loyal_min_purchase_days),
        "set it to 1 or more purchase days (default 4)");
  if (r.loyal_max_recency_days > r.current_max_recency_days)
    bad(fmt::format("segment.loyal.max_recency_days = {} is above segment.current.max_recency_days = {}: a loyal "
                    "customer must be a current buyer",
                    r.loyal_max_recency_days, r.current_max_recency_days),
        "lower segment.loyal.max_recency_days or raise segment.current.max_recency_days");
  if (r.loyal_min_purchase_days <= 1 && r.loyal_max_recency_days == r.current_max_recency_days)
    bad("with segment.loyal.min_purchase_days = 1 and segment.loyal.max_recency_days = "
        "segment.current.max_recency_days every current buyer is loyal: the general segment is impossible",
        "raise segment.loyal.min_purchase_days to 2 or more, or lower segment.loyal.max_recency_days");
}

std::vector<Buyer> crm_segments(const Features& f, const CrmRules& rules) {
  std::vector<Buyer> out(f.size());
  for (size_t i = 0; i < f.size(); ++i) out[i] = classify(f.recency_days[i], f.purchase_days[i], rules);
  return out;
}

CrmMap crm_map(const Features& f, std::span<const Buyer> seg, std::span<const Preference> preference) {
  if (seg.size() != f.size() || (!preference.empty() && preference.size() != f.size()))
    throw Error{ErrorCode::internal, "segment: crm_map inputs have different lengths"};
  CrmMap m;
  m.as_of = f.as_of;
  m.customers = static_cast<int64_t>(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    const auto s = static_cast<size_t>(seg[i]);
    const size_t p = preference_index(preference.empty() ? Preference::unknown : preference[i]);
    for (CrmCell* c : {&m.segment[s], &m.nine[s][p]}) {
      ++c->customers;
      c->net_revenue += f.net_revenue[i];
      c->purchase_days += f.purchase_days[i];
    }
  }
  return m;
}

Transitions crm_transitions(const CustomerDays& d, Day from, Day to, const CrmRules& rules) {
  if (from >= to)
    throw Error{ErrorCode::usage,
                fmt::format("the comparison window {} to {} is empty", format_date(from), format_date(to)), "",
                "compare an earlier date with a later one: --compare 1997-12-31 1998-06-30"};
  Transitions t;
  t.from = from;
  t.to = to;
  for (uint32_t k = 0; k < d.customers(); ++k) {
    Day last_from = kNoDay, last_to = kNoDay;
    int32_t pd_from = 0, pd_to = 0;
    int64_t net = 0;
    for (uint64_t i = d.start[k]; i < d.start[k + 1] && d.days[i].day <= to; ++i) {
      const DayEntry& e = d.days[i];
      if (e.day > from) net += e.net;
      if (e.orders == 0) continue;
      ++pd_to;
      last_to = e.day;
      if (e.day <= from) {
        ++pd_from;
        last_from = e.day;
      }
    }
    if (pd_to == 0) continue;
    const size_t row = pd_from == 0 ? 3 : static_cast<size_t>(classify(from - last_from, pd_from, rules));
    const auto col = static_cast<size_t>(classify(to - last_to, pd_to, rules));
    ++t.customers[row][col];
    t.net_revenue[row][col] += net;
  }
  return t;
}

}  // namespace koko::segment
