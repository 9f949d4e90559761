#include "koko/core/messages.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "koko/core/error.hpp"

namespace koko {
namespace {

struct Message {
  std::string_view key;
  std::string_view en;
  std::string_view ja;
};

// Sorted by key (checked below). Placeholders are identical in both languages; positional {0} {1} let the
// Japanese word order differ from the English one.
constexpr std::array kCatalogue = {
    Message{"cli.progress_rows", "rows", "行"},
    Message{"cli.skipped_analysis", "skipped {0}: needs {1}", "{0} をスキップしました（{1} が必要です）"},
    Message{"overview.active_customers", "Active customers", "購入顧客数"},
    Message{"overview.censored_note",
            "The first cohort is left-censored: it holds everyone who bought before the data starts, not only new "
            "customers.",
            "最初のコホートには、データ開始より前から購入していた顧客もすべて含まれます（左側打ち切り）。新規顧客だけの"
            "集団ではありません。"},
    Message{"overview.cohort", "First-purchase month", "初回購入月"},
    Message{"overview.cohort_size", "Customers", "顧客数"},
    Message{"overview.cohort_title", "Cohort retention", "コホート別の継続購入率"},
    Message{"overview.concentration_title", "Revenue concentration", "売上の集中度"},
    Message{"overview.converted", "Bought again", "再購入した顧客数"},
    Message{"overview.customer_share", "Share of customers", "顧客に占める割合"},
    Message{"overview.customers", "Customers", "顧客数"},
    Message{"overview.date_range", "Date range", "期間"},
    Message{"overview.eligible", "Observed customers", "観測対象の顧客数"},
    Message{"overview.finding_cohort",
            "In month 1 after their first purchase, {0:.0f}% of customers bought again (average over cohorts).",
            "初回購入の翌月（1か月目）に再び購入した顧客は、コホート平均で{0:.0f}%でした。"},
    Message{"overview.finding_concentration", "The top {0:.0f}% of customers bring {1:.0f}% of net revenue.",
            "上位{0:.0f}%の顧客が、純売上の{1:.0f}%を占めています。"},
    Message{"overview.finding_median_second",
            "Those who came back took a median of {0:.0f} days to make their second purchase.",
            "再購入した顧客が2回目の購入に至るまでの日数は、中央値で{0:.0f}日でした。"},
    Message{"overview.finding_monthly", "The busiest month was {0} with {1} orders.",
            "注文が最も多かったのは{0}で、{1}件でした。"},
    Message{"overview.finding_repeat", "{0:.0f}% of customers bought on more than one day ({1} of {2}).",
            "顧客の{0:.0f}%（{2}人中{1}人）が、2日以上にわたって購入しています。"},
    Message{"overview.finding_second",
            "{0:.0f}% of first-time buyers observed for {1} days bought again within {1} days.",
            "初回購入後{1}日間を観測できた顧客のうち、{0:.0f}%が{1}日以内に再購入しました。"},
    Message{"overview.finding_totals", "{0} customers placed {1} orders between {2} and {3}, for net revenue of {4}.",
            "{2}から{3}までに{0}人の顧客が{1}件の注文を行い、純売上は{4}でした。"},
    Message{"overview.gross_revenue", "Gross revenue", "総売上"},
    Message{"overview.guest_orders", "Guest orders", "ゲスト注文数"},
    Message{"overview.intro",
            "The first step in customer-first marketing is to see your own challenge in numbers: who buys, how "
            "many come back, and where the revenue comes from.",
            "顧客起点マーケティングの第一歩は、誰が買い、どれだけの顧客が再び買い、売上がどこから生まれているのか"
            "という自社の課題を、数字で捉えることです。"},
    Message{"overview.lorenz_title", "Lorenz curve of net revenue", "純売上のローレンツ曲線"},
    Message{"overview.metric", "Metric", "指標"},
    Message{"overview.month", "Month", "年月"},
    Message{"overview.monthly_title", "Orders and revenue per month", "月別の注文数と売上"},
    Message{"overview.months_since", "Months since first purchase", "初回購入からの経過月数"},
    Message{"overview.net_revenue", "Net revenue", "純売上"},
    Message{"overview.new_customers", "New customers", "新規顧客数"},
    Message{"overview.orders", "Orders", "注文数"},
    Message{"overview.rate", "Rate", "転換率"},
    Message{"overview.repeat_title", "Repeat rate", "リピート率"},
    Message{"overview.returned_amount", "Returned amount", "返品額"},
    Message{"overview.returns", "Returns", "返品数"},
    Message{"overview.revenue_share", "Share of revenue", "売上に占める割合"},
    Message{"overview.second_title", "Second-purchase conversion", "2回目購入への転換率（F2転換率）"},
    Message{"overview.title", "Overview and diagnosis", "データ概要と診断"},
    Message{"overview.top_share", "Top customers", "上位顧客"},
    Message{"overview.value", "Value", "値"},
    Message{"overview.window_days", "Window (days)", "期間（日）"},
    Message{"report.csv_link", "CSV", "CSV"},
    Message{"report.generated_by", "Made with koko {0}", "koko {0} で作成"},
    Message{"report.setting", "Setting", "設定項目"},
    Message{"report.settings", "Settings used", "使用した設定"},
    Message{"report.skipped", "Not run: {0}", "未実行：{0}"},
    Message{"report.subtitle", "Data as of {0}", "データ基準日：{0}"},
    Message{"report.title", "Customer-first report", "顧客起点レポート"},
    Message{"report.toc", "Contents", "目次"},
    Message{"report.value", "Value", "値"},
};

constexpr bool sorted_and_unique() {
  for (size_t i = 1; i < kCatalogue.size(); ++i) {
    if (!(kCatalogue[i - 1].key < kCatalogue[i].key)) return false;
  }
  return true;
}
static_assert(sorted_and_unique(), "keep kCatalogue sorted by key, without duplicates");

// The first non-empty of the POSIX locale variables decides, as setlocale would.
std::string_view locale_from_env() {
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return {};
}

}  // namespace

Lang parse_lang(std::string_view s) {
  if (s == "en") return Lang::en;
  if (s == "ja") return Lang::ja;
  throw Error(ErrorCode::usage, fmt::format("unknown language '{}'", s), {}, "use --lang en or --lang ja");
}

Lang default_lang() { return locale_from_env().starts_with("ja") ? Lang::ja : Lang::en; }

std::string_view msg(Lang lang, std::string_view key) {
  const auto* it = std::lower_bound(kCatalogue.begin(), kCatalogue.end(), key,
                                    [](const Message& m, std::string_view k) { return m.key < k; });
  if (it == kCatalogue.end() || it->key != key) {
    throw Error(ErrorCode::internal, fmt::format("unknown message key '{}'", key));
  }
  return lang == Lang::ja ? it->ja : it->en;
}

}  // namespace koko
