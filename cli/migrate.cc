// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// `migrate`, `purge-expired` and `stats`: moving a cache to another store,
// dropping dead access tokens and describing what a cache holds. All three
// use only the public API (tokencache.h), so they work on every store a URI
// can name.

#include <algorithm>
#include <cstddef>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>
#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/json.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace cli {
namespace {

namespace po = boost::program_options;

// Below this many entities `migrate` writes in one transaction, so that a
// failure leaves the destination as it was.
constexpr std::size_t kSingleTransactionLimit = 10000;
constexpr std::size_t kDefaultBatch = 1000;
constexpr std::size_t kTopPartitions = 20;

// Parses a subcommand's arguments (as commands.cc does). Returns false when
// the command must stop, with *exit_code set.
bool Parse(const char* command, const char* usage, const Args& args,
           const po::options_description& options, po::variables_map* vm,
           int* exit_code) {
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(all).run(), *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    std::cerr << "tokencache " << command << ": " << UsageError(e) << "\n"
              << "Try 'tokencache " << command << " --help'.\n";
    *exit_code = kExitUsage;
    return false;
  }
  if (vm->count("help") != 0) {
    std::cout << usage << all;
    *exit_code = kExitOk;
    return false;
  }
  return true;
}

// A URI as it may be shown: its options can hold secrets.
std::string Shown(const std::string& uri) {
  Result<CacheUri> parsed = ParseCacheUri(uri);
  return parsed.ok() ? parsed->Redacted() : std::string("the cache URI");
}

Result<std::unique_ptr<Cache>> Open(const std::string& uri) {
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  if (!cache.ok()) return cache.status().WithContext("opening " + Shown(uri));
  return cache;
}

std::size_t Entities(const CacheSnapshot& s) {
  return s.accounts.size() + s.access_tokens.size() + s.refresh_tokens.size() +
         s.id_tokens.size() + s.app_metadata.size();
}

void PrintCounts(std::ostream& out, const CacheSnapshot& s) {
  out << s.accounts.size() << " accounts, " << s.access_tokens.size()
      << " access tokens, " << s.refresh_tokens.size() << " refresh tokens, "
      << s.id_tokens.size() << " ID tokens, " << s.app_metadata.size()
      << " app metadata, " << s.unknown_sections.size()
      << " unknown sections";
}

// Splits `all` into snapshots of at most `size` entities; the unknown
// sections travel with the first.
std::vector<CacheSnapshot> Batches(const CacheSnapshot& all,
                                   std::size_t size) {
  std::vector<CacheSnapshot> out(1);
  out.front().unknown_sections = all.unknown_sections;
  std::size_t in_last = 0;
  auto room = [&]() -> CacheSnapshot& {
    if (in_last == size) {
      out.emplace_back();
      in_last = 0;
    }
    ++in_last;
    return out.back();
  };
  // Accounts first: a partly migrated destination then lists its users.
  for (const Account& e : all.accounts) room().accounts.push_back(e);
  for (const AppMetadata& e : all.app_metadata) {
    room().app_metadata.push_back(e);
  }
  for (const IdToken& e : all.id_tokens) room().id_tokens.push_back(e);
  for (const RefreshToken& e : all.refresh_tokens) {
    room().refresh_tokens.push_back(e);
  }
  for (const AccessToken& e : all.access_tokens) {
    room().access_tokens.push_back(e);
  }
  return out;
}

// Runs PurgeExpiredAccessTokens in a transaction that is then abandoned:
// the count is exactly what a purge would remove now, and nothing is
// written (Cache::Update leaves the cache as it was when `fn` fails).
Result<std::size_t> CountExpired(Cache& cache) {
  static const char kAbandon[] = "count only; abandon the transaction";
  std::size_t count = 0;
  bool counted = false;
  Status s = cache.Update([&](CacheTransaction& txn) {
    count = txn.PurgeExpiredAccessTokens();
    counted = true;
    return Status(Code::kInternal, kAbandon);
  });
  // An error from the lock or the store comes without `counted` or with
  // another message; only our own abandonment means success.
  if (counted && s.code() == Code::kInternal && s.message() == kAbandon) {
    return count;
  }
  return s.ok() ? Status(Code::kInternal, "count was not taken") : s;
}

}  // namespace

int RunMigrate(const std::string& uri, const Args& args) {
  static const char kUsage[] =
      "Usage: tokencache [--cache URI] migrate --to URI [--merge]\n"
      "Copies every entry and unknown top-level section of the --cache\n"
      "cache into the --to cache, in any store (file, encrypted file,\n"
      "binary, lmdb, ...). The source is only read.\n"
      "The destination must be empty unless --merge is given; merging\n"
      "de-duplicates by identity (the newer token wins), so re-running a\n"
      "migration with --merge is safe.\n"
      "Caches below 10000 entries are written in one transaction: on\n"
      "failure the destination is left as it was. Larger caches are\n"
      "written in batches (progress on stderr); if one fails, the\n"
      "destination keeps the batches written before it. Re-run with\n"
      "--merge to complete it.\n";
  po::options_description options("migrate options");
  options.add_options()
      ("to", po::value<std::string>()->required(), "destination cache URI")
      ("merge", "merge into a destination that already holds entries")
      ("batch-size", po::value<std::size_t>()->default_value(0),
       "entries per transaction; 0 means one transaction below 10000 "
       "entries, else 1000");
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!Parse("migrate", kUsage, args, options, &vm, &exit_code)) {
    return exit_code;
  }
  const std::string to = vm["to"].as<std::string>();
  const bool merge = vm.count("merge") != 0;
  if (to == uri) {
    std::cerr << "tokencache migrate: --to names the source cache\n";
    return kExitUsage;
  }

  Result<std::unique_ptr<Cache>> source = Open(uri);
  if (!source.ok()) return Fail("migrate", source.status());
  Result<CacheSnapshot> all = (*source)->Export();
  if (!all.ok()) return Fail("migrate", all.status());

  Result<std::unique_ptr<Cache>> dest = Open(to);
  if (!dest.ok()) return Fail("migrate", dest.status());
  if (!merge) {
    Result<CacheSnapshot> existing = (*dest)->Export();
    if (!existing.ok()) return Fail("migrate", existing.status());
    if (Entities(*existing) != 0 || !existing->unknown_sections.empty()) {
      std::cerr << "tokencache migrate: " << Shown(to) << " already holds "
                << Entities(*existing)
                << " entries; pass --merge to merge into it\n";
      return kExitUsage;
    }
  }

  const std::size_t total = Entities(*all);
  std::size_t batch = vm["batch-size"].as<std::size_t>();
  if (batch == 0) {
    batch = total < kSingleTransactionLimit ? total : kDefaultBatch;
  }
  if (batch == 0 || batch >= total) {
    Status s = (*dest)->Import(*all);
    if (!s.ok()) return Fail("migrate", s.WithContext("writing " + Shown(to)));
  } else {
    std::size_t done = 0;
    for (const CacheSnapshot& part : Batches(*all, batch)) {
      Status s = (*dest)->Import(part);
      if (!s.ok()) {
        std::cerr << "tokencache migrate: stopped after " << done << "/"
                  << total
                  << " entries; the destination holds those. Re-run with "
                     "--merge to complete it.\n";
        return Fail("migrate", s.WithContext("writing " + Shown(to)));
      }
      done += Entities(part);
      std::cerr << "migrated " << done << "/" << total << "\n";
    }
  }
  std::cout << "migrated ";
  PrintCounts(std::cout, *all);
  std::cout << " to " << Shown(to) << "\n";
  return kExitOk;
}

int RunPurgeExpired(const std::string& uri, const Args& args) {
  static const char kUsage[] =
      "Usage: tokencache [--cache URI] purge-expired [--dry-run]\n"
      "Removes the access tokens a lookup would report expired: past or\n"
      "within 5 minutes of expires_on, without expires_on, more than 10\n"
      "years ahead, or cached in the future. Refresh tokens, ID tokens,\n"
      "accounts and tokens due for a proactive refresh stay.\n";
  po::options_description options("purge-expired options");
  options.add_options()("dry-run", "count them; remove nothing");
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!Parse("purge-expired", kUsage, args, options, &vm, &exit_code)) {
    return exit_code;
  }
  Result<std::unique_ptr<Cache>> cache = Open(uri);
  if (!cache.ok()) return Fail("purge-expired", cache.status());
  if (vm.count("dry-run") != 0) {
    Result<std::size_t> count = CountExpired(**cache);
    if (!count.ok()) return Fail("purge-expired", count.status());
    std::cout << "would remove " << *count << " expired access tokens\n";
    return kExitOk;
  }
  std::size_t removed = 0;
  Status s = (*cache)->Update([&](CacheTransaction& txn) {
    removed = txn.PurgeExpiredAccessTokens();
    return Status();
  });
  if (!s.ok()) return Fail("purge-expired", s);
  std::cout << "removed " << removed << " expired access tokens\n";
  return kExitOk;
}

int RunStats(const std::string& uri, const Args& args) {
  static const char kUsage[] =
      "Usage: tokencache [--cache URI] stats [--json]\n"
      "Counts entries per kind and per partition (an account's home id, or\n"
      "an app's client id and tenant), valid and expired access tokens,\n"
      "and the size of the whole cache as MSAL JSON and as binary. Shows\n"
      "no token text. Counting expired tokens takes the cache's write lock\n"
      "for a moment; nothing is written.\n";
  po::options_description options("stats options");
  options.add_options()("json", "print JSON");
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!Parse("stats", kUsage, args, options, &vm, &exit_code)) {
    return exit_code;
  }
  Result<std::unique_ptr<Cache>> cache = Open(uri);
  if (!cache.ok()) return Fail("stats", cache.status());
  Result<CacheSnapshot> all = (*cache)->Export();
  if (!all.ok()) return Fail("stats", all.status());
  Result<std::size_t> expired = CountExpired(**cache);
  if (!expired.ok()) return Fail("stats", expired.status());
  Result<SecretBytes> json = NewMsalJsonSerializer()->Serialize(*all);
  if (!json.ok()) return Fail("stats", json.status());
  Result<SecretBytes> binary = NewBinarySerializer()->Serialize(*all);
  if (!binary.ok()) return Fail("stats", binary.status());

  std::map<std::string, std::size_t> partitions;
  auto user = [&](const std::string& home) { ++partitions["account " + home]; };
  auto app = [&](const std::string& client, const std::string& tenant) {
    ++partitions["app " + client + (tenant.empty() ? "" : " " + tenant)];
  };
  for (const Account& e : all->accounts) user(e.home_account_id);
  for (const AppMetadata& e : all->app_metadata) app(e.client_id, "");
  auto token = [&](const auto& e) {
    if (e.home_account_id.empty()) {
      app(e.client_id, e.realm);
    } else {
      user(e.home_account_id);
    }
  };
  for (const AccessToken& e : all->access_tokens) token(e);
  for (const RefreshToken& e : all->refresh_tokens) token(e);
  for (const IdToken& e : all->id_tokens) token(e);
  std::vector<std::pair<std::string, std::size_t>> top(partitions.begin(),
                                                       partitions.end());
  std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.second > b.second;
  });
  if (top.size() > kTopPartitions) top.resize(kTopPartitions);

  const std::size_t ats = all->access_tokens.size();
  if (vm.count("json") != 0) {
    rapidjson::OStreamWrapper stream(std::cout);
    rapidjson::PrettyWriter<rapidjson::OStreamWrapper> w(stream);
    auto count = [&w](const char* name, std::size_t n) {
      w.Key(name);
      w.Uint64(n);
    };
    w.StartObject();
    w.Key("entries");
    w.StartObject();
    count("accounts", all->accounts.size());
    count("access_tokens", ats);
    count("refresh_tokens", all->refresh_tokens.size());
    count("id_tokens", all->id_tokens.size());
    count("app_metadata", all->app_metadata.size());
    count("unknown_sections", all->unknown_sections.size());
    count("total", Entities(*all));
    w.EndObject();
    w.Key("access_tokens");
    w.StartObject();
    count("valid", ats - *expired);
    count("expired", *expired);
    w.EndObject();
    count("partition_count", partitions.size());
    w.Key("top_partitions");
    w.StartArray();
    for (const auto& [name, n] : top) {
      w.StartObject();
      w.Key("partition");
      w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
      count("entries", n);
      w.EndObject();
    }
    w.EndArray();
    w.Key("serialized_bytes");
    w.StartObject();
    count("msal_json", json->size());
    count("binary", binary->size());
    w.EndObject();
    w.EndObject();
    std::cout << "\n";
    return kExitOk;
  }
  std::cout << "entries: ";
  PrintCounts(std::cout, *all);
  std::cout << "\naccess tokens: " << ats - *expired << " valid, " << *expired
            << " expired\n"
            << "serialized: " << json->size() << " bytes as MSAL JSON, "
            << binary->size() << " bytes as binary\n"
            << "partitions: " << partitions.size() << " (top "
            << top.size() << " by entries)\n";
  for (const auto& [name, n] : top) {
    std::cout << "  " << n << "\t" << name << "\n";
  }
  return kExitOk;
}

}  // namespace cli
}  // namespace tokencache
