// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The keychain backend against a real gnome-keyring on the private session
// bus of scripts/run_keyring.sh, and the "unavailable" cases in child
// processes whose environment has no bus, a bus without a Secret Service,
// or a locked keyring (B5, L1 4x50, key creation race, opt-in fallback).

#include <libsecret/secret.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/keychain/secret_service.h"
#include "tests/keychain/spawn.h"
#include "tests/keychain/require_keyring.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/keychain.h"
#include "tokencache/cipher.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

using test::ChildEnv;
using test::ChildResult;
using test::RunChild;
using test::TempDir;

const std::string kHelper = TOKENCACHE_KEYCHAIN_HELPER;
const std::string kTestDir = TOKENCACHE_KEYCHAIN_TEST_DIR;

// A name no other case (or earlier run) uses.
KeychainItemName FreshName(const std::string& what) {
  static int counter = 0;
  return KeychainItemName{"tokencache-test",
                          what + "-" + std::to_string(::getpid()) + "-" +
                              std::to_string(++counter)};
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every regular file under `dir`, as paths relative to it.
std::set<std::string> FilesUnder(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      out.insert(std::filesystem::relative(entry.path(), dir).string());
    }
  }
  return out;
}

// Counts occurrences of `canary` or any 12-byte piece of it in `text`.
int CanaryHits(const std::string& text, const std::string& canary) {
  int hits = 0;
  for (std::size_t i = 0; i + 12 <= canary.size(); ++i) {
    if (text.find(canary.substr(i, 12)) != std::string::npos) ++hits;
  }
  return hits;
}

// Every label, attribute name and attribute value of every item in every
// collection, read back through libsecret (B5).
struct ItemText {
  std::string label;
  std::vector<std::pair<std::string, std::string>> attributes;
};
std::vector<ItemText> AllItems() {
  std::vector<ItemText> out;
  GError* error = nullptr;
  // A new proxy each time: the shared one caches item lists that only
  // D-Bus signals (which need a running main loop) would refresh.
  SecretService* service = secret_service_open_sync(
      SECRET_TYPE_SERVICE, nullptr, SECRET_SERVICE_LOAD_COLLECTIONS, nullptr,
      &error);
  REQUIRE(error == nullptr);
  GList* collections = secret_service_get_collections(service);
  for (GList* c = collections; c != nullptr; c = c->next) {
    SecretCollection* collection = SECRET_COLLECTION(c->data);
    REQUIRE(secret_collection_load_items_sync(collection, nullptr, &error));
    GList* items = secret_collection_get_items(collection);
    for (GList* i = items; i != nullptr; i = i->next) {
      SecretItem* item = SECRET_ITEM(i->data);
      ItemText text;
      gchar* label = secret_item_get_label(item);
      text.label = label != nullptr ? label : "";
      g_free(label);
      GHashTable* attributes = secret_item_get_attributes(item);
      GHashTableIter it;
      gpointer key = nullptr;
      gpointer value = nullptr;
      g_hash_table_iter_init(&it, attributes);
      while (g_hash_table_iter_next(&it, &key, &value)) {
        text.attributes.emplace_back(static_cast<const char*>(key),
                                     static_cast<const char*>(value));
      }
      g_hash_table_unref(attributes);
      out.push_back(std::move(text));
    }
    g_list_free_full(items, g_object_unref);
  }
  g_list_free_full(collections, g_object_unref);
  g_object_unref(service);
  return out;
}

int CanaryHitsInItems(const std::string& canary) {
  int hits = 0;
  for (const ItemText& item : AllItems()) {
    hits += CanaryHits(item.label, canary);
    for (const auto& [name, value] : item.attributes) {
      hits += CanaryHits(name, canary) + CanaryHits(value, canary);
    }
  }
  return hits;
}

// The environment of a process that has no session bus at all: the CI
// default (platform-notes.md section 1, first row).
ChildEnv NoBus(const TempDir& home) {
  ChildEnv env;
  env.unset = {"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"};
  env.set["HOME"] = home.path().string();
  env.set["XDG_RUNTIME_DIR"] = home.path().string();
  return env;
}

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

TEST_CASE("The keychain blob store round-trips binary bytes and counts "
          "generations",
          "[keychain][blob]") {
  test::RequireKeyringBus();
  Result<std::unique_ptr<BlobStore>> store =
      KeychainBlobStore::Open(FreshName("blob"));
  REQUIRE_OK(store);
  Result<std::optional<Blob>> empty = (*store)->Read();
  REQUIRE_OK(empty);
  CHECK_FALSE(empty->has_value());
  Result<BlobVersion> empty_version = (*store)->PeekVersion();
  REQUIRE_OK(empty_version);
  CHECK(empty_version->opaque.empty());

  const std::string bytes("\0\xff binary \x01\x80 cache\0", 20);
  Result<BlobVersion> v1 = (*store)->Write(bytes, BlobVersion{});
  REQUIRE_OK(v1);
  Result<std::optional<Blob>> back = (*store)->Read();
  REQUIRE_OK(back);
  REQUIRE(back->has_value());
  CHECK((*back)->bytes.Equals(bytes));
  CHECK((*back)->version == *v1);
  Result<BlobVersion> peeked = (*store)->PeekVersion();
  REQUIRE_OK(peeked);
  CHECK(*peeked == *v1);

  // A writer holding a stale version is refused and changes nothing.
  Result<BlobVersion> stale = (*store)->Write("other", BlobVersion{});
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().code() == Code::kConflict);
  Result<BlobVersion> v2 = (*store)->Write("second", *v1);
  REQUIRE_OK(v2);
  CHECK(*v2 != *v1);
  back = (*store)->Read();
  REQUIRE_OK(back);
  CHECK((*back)->bytes.Equals("second"));
  Result<BlobVersion> again = (*store)->Write("third", *v1);
  CHECK(again.status().code() == Code::kConflict);
}

TEST_CASE("A keychain item that is not a tokencache cache is reported and "
          "never overwritten",
          "[keychain][blob]") {
  test::RequireKeyringBus();
  const KeychainItemName name = FreshName("foreign");
  REQUIRE_OK(internal::StoreSecret(name, internal::kKindCache, "not ours"));
  Result<std::unique_ptr<BlobStore>> store = KeychainBlobStore::Open(name);
  REQUIRE_OK(store);
  Result<std::optional<Blob>> read = (*store)->Read();
  CHECK(read.status().code() == Code::kCorrupted);
  Result<BlobVersion> write = (*store)->Write("new", std::nullopt);
  CHECK(write.status().code() == Code::kCorrupted);
  Result<std::optional<SecretBytes>> raw =
      internal::LookupSecret(name, internal::kKindCache);
  REQUIRE_OK(raw);
  REQUIRE(raw->has_value());
  CHECK((*raw)->Equals("not ours"));
}

TEST_CASE("Bad keychain names and URIs are refused before the keychain is "
          "asked",
          "[keychain][uri]") {
  test::RequireKeyringBus();
  CHECK(KeychainBlobStore::Open({"", "a"}).status().code() ==
        Code::kInvalidArgument);
  CHECK(KeychainBlobStore::Open({"s", std::string(256, 'a')})
            .status()
            .code() == Code::kInvalidArgument);
  CHECK(KeychainKeySourceFromSpec("keychain:onlyservice").status().code() ==
        Code::kInvalidArgument);
  CHECK(KeychainKeySourceFromSpec("keychain:/acct").status().code() ==
        Code::kInvalidArgument);
  KeychainKeySourceOptions relative;
  relative.fallback_key_file = "relative/key";
  CHECK(NewKeychainKeySource({"s", "a"}, relative).status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("keychain://svc").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("keychain://svc/acct?key=file:/k").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("keychain://svc/acct?lock=msal").status().code() ==
        Code::kInvalidArgument);
  TempDir dir;
  const std::string file = "file://" + (dir / "c.json").string();
  CHECK(OpenCache(file + "?fallback=file:/k").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache(file + "?key=file:" + (dir / "k").string() +
                  "&fallback=file:/k")
            .status()
            .code() == Code::kInvalidArgument);
  CHECK(OpenCache(file + "?key=keychain:s/a&fallback=/no/scheme")
            .status()
            .code() == Code::kInvalidArgument);
}

TEST_CASE("The lock file of a keychain item lives in the runtime directory "
          "under an escaped name",
          "[keychain][lock]") {
  test::RequireKeyringBus();
  Result<std::filesystem::path> path =
      KeychainLockPath({"my svc", "../acct/x"});
  REQUIRE_OK(path);
  const char* run = std::getenv("XDG_RUNTIME_DIR");
  REQUIRE(run != nullptr);
  CHECK(path->parent_path() == std::filesystem::path(run) / "tokencache");
  CHECK(path->filename() == "keychain-my%20svc-%2E.%2Facct%2Fx.lock");
  Result<std::filesystem::path> given =
      KeychainLockPath({"s", "a"}, "/var/tmp/x");
  REQUIRE_OK(given);
  CHECK(*given == "/var/tmp/x/keychain-s-a.lock");
  CHECK(KeychainLockPath({"s", "a"}, "rel").status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("keychain:// opens a cache that a second handle reads back",
          "[keychain][uri]") {
  test::RequireKeyringBus();
  const KeychainItemName name = FreshName("uri");
  const std::string uri = "keychain://" + name.service + "/" + name.account;
  const std::string canary = "CANARY-uri-" + name.account + "-0123456789";
  ChildResult wrote = RunChild({kHelper, "open", uri, canary});
  INFO(wrote.output);
  REQUIRE(wrote.exit_code == 0);

  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  Result<CacheSnapshot> snapshot = (*cache)->Export();
  REQUIRE_OK(snapshot);
  REQUIRE(snapshot->access_tokens.size() == 1);
  CHECK(snapshot->access_tokens[0].secret.Equals(canary));
  // The item is the cache: MSAL JSON after the 16-byte header.
  Result<std::optional<SecretBytes>> raw =
      internal::LookupSecret(name, internal::kKindCache);
  REQUIRE_OK(raw);
  REQUIRE(raw->has_value());
  CHECK((*raw)->view().substr(0, 4) == "TCKC");
  CHECK((*raw)->view().find("\"AccessToken\"") != std::string_view::npos);
}

TEST_CASE("key=keychain encrypts a file cache under one keychain key and "
          "leaves no token bytes on disk",
          "[keychain][key]") {
  test::RequireKeyringBus();
  TempDir dir;
  const KeychainItemName name = FreshName("key");
  const std::string spec = "keychain:" + name.service + "/" + name.account;
  const std::string uri =
      "file://" + (dir / "cache.bin").string() + "?key=" + spec;
  const std::string canary = "CANARY-key-" + name.account + "-0123456789";
  ChildResult wrote = RunChild({kHelper, "open", uri, canary});
  INFO(wrote.output);
  REQUIRE(wrote.exit_code == 0);

  // One key item of 32 bytes; the file is an envelope under that key.
  Result<std::optional<SecretBytes>> key =
      internal::LookupSecret(name, internal::kKindKey);
  REQUIRE_OK(key);
  REQUIRE(key->has_value());
  CHECK((*key)->size() == 32);
  Result<std::unique_ptr<Cipher>> cipher = NewKeyCipher(**key);
  REQUIRE_OK(cipher);
  const std::string file = ReadFile(dir / "cache.bin");
  CHECK(CanaryHits(file, canary) == 0);
  Result<SecretBytes> opened =
      (*cipher)->Open(file, BlobContext((dir / "cache.bin").string()));
  REQUIRE_OK(opened);
  CHECK(CanaryHits(std::string(opened->view()), canary) > 0);  // Control.
  for (const std::string& f : FilesUnder(dir.path())) {
    CHECK(CanaryHits(ReadFile(dir / f), canary) == 0);
  }

  // A later process uses the same key (no second item, no new key).
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  Result<CacheSnapshot> snapshot = (*cache)->Export();
  REQUIRE_OK(snapshot);
  REQUIRE(snapshot->access_tokens.size() == 1);
  CHECK(snapshot->access_tokens[0].secret.Equals(canary));
}

TEST_CASE("A keychain key item of the wrong size is reported, not replaced",
          "[keychain][key]") {
  test::RequireKeyringBus();
  const KeychainItemName name = FreshName("shortkey");
  REQUIRE_OK(internal::StoreSecret(name, internal::kKindKey, "short"));
  Result<std::unique_ptr<KeySource>> source = NewKeychainKeySource(name);
  REQUIRE_OK(source);
  Result<std::shared_ptr<const Cipher>> cipher = (*source)->GetCipher();
  CHECK(cipher.status().code() == Code::kCorrupted);
  Result<std::optional<SecretBytes>> raw =
      internal::LookupSecret(name, internal::kKindKey);
  REQUIRE_OK(raw);
  CHECK((*raw)->Equals("short"));
}

TEST_CASE("Processes creating the keychain key at once all get the same key",
          "[keychain][key][multiprocess]") {
  test::RequireKeyringBus();
  const KeychainItemName name = FreshName("race");
  const std::string spec = "keychain:" + name.service + "/" + name.account;
  std::vector<std::unique_ptr<test::Child>> children;
  for (int i = 0; i < 6; ++i) {
    children.push_back(
        std::make_unique<test::Child>(std::vector<std::string>{
                                          kHelper, "keyid", spec},
                                      ChildEnv{}));
  }
  std::set<std::string> ids;
  for (auto& child : children) {
    ChildResult r = child->Finish();
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    ids.insert(FirstLine(r.output));
  }
  CHECK(ids.size() == 1);
  // The one key in the keychain is the one they all use.
  Result<std::optional<SecretBytes>> key =
      internal::LookupSecret(name, internal::kKindKey);
  REQUIRE_OK(key);
  REQUIRE(key->has_value());
  Result<std::unique_ptr<Cipher>> cipher = NewKeyCipher(**key);
  REQUIRE_OK(cipher);
  Result<std::string> sealed = (*cipher)->Seal("x", BlobContext("id"));
  REQUIRE_OK(sealed);
  Result<EnvelopeInfo> info = InspectEnvelope(*sealed);
  REQUIRE_OK(info);
  std::string hex = "OK ";
  for (std::uint8_t b : info->key_id) {
    const char digits[] = "0123456789abcdef";
    hex += digits[b >> 4];
    hex += digits[b & 0xf];
  }
  CHECK(*ids.begin() == hex);
}

TEST_CASE("L1: 4 processes x 50 increments through the keychain store lose "
          "no update",
          "[keychain][multiprocess][L1]") {
  test::RequireKeyringBus();
  const KeychainItemName name = FreshName("counter");
  const std::string uri = "keychain://" + name.service + "/" + name.account;
  constexpr int kProcs = 4;
  constexpr int kIncrements = 50;
  std::vector<std::unique_ptr<test::Child>> children;
  for (int i = 0; i < kProcs; ++i) {
    children.push_back(std::make_unique<test::Child>(
        std::vector<std::string>{kHelper, "counter", uri,
                                 std::to_string(kIncrements)},
        ChildEnv{}));
  }
  std::multiset<long long> seen;
  for (auto& child : children) {
    ChildResult r = child->Finish(std::chrono::seconds(120));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.output);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty()) seen.insert(std::stoll(line));
    }
  }
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  Result<CacheSnapshot> snapshot = (*cache)->Export();
  REQUIRE_OK(snapshot);
  long long final_value = 0;
  for (const AppMetadata& m : snapshot->app_metadata) {
    if (m.client_id == "counter") final_value = std::stoll(m.family_id);
  }
  std::printf(
      "{\"id\":\"L1\",\"params\":{\"backend\":\"keychain\",\"procs\":%d,"
      "\"increments\":%d},\"figures\":{\"final\":%lld,\"distinct\":%zu},"
      "\"pass\":%s}\n",
      kProcs, kIncrements, final_value,
      std::set<long long>(seen.begin(), seen.end()).size(),
      final_value == kProcs * kIncrements ? "true" : "false");
  CHECK(final_value == kProcs * kIncrements);
  CHECK(seen.size() == static_cast<std::size_t>(kProcs * kIncrements));
  std::set<long long> distinct(seen.begin(), seen.end());
  CHECK(distinct.size() == seen.size());
  CHECK(*distinct.begin() == 1);
  CHECK(*distinct.rbegin() == kProcs * kIncrements);
}

TEST_CASE("B5: no canary byte reaches an item's label or attributes",
          "[keychain][B5]") {
  test::RequireKeyringBus();
  TempDir dir;
  const KeychainItemName name = FreshName("b5");
  const std::string canary = "CANARY-b5-" + name.account + "-abcdefghijkl";
  const std::string blob_uri =
      "keychain://" + name.service + "/" + name.account;
  const std::string key_uri = "file://" + (dir / "c.bin").string() +
                              "?key=keychain:" + name.service + "/" +
                              name.account;
  for (const std::string& uri : {blob_uri, key_uri}) {
    ChildResult r = RunChild({kHelper, "open", uri, canary});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
  // Both items exist, with exactly the schema's attributes.
  int ours = 0;
  for (const ItemText& item : AllItems()) {
    bool mine = false;
    for (const auto& [key, value] : item.attributes) {
      if (key == "account" && value == name.account) mine = true;
    }
    if (!mine) continue;
    ++ours;
    std::set<std::string> keys;
    for (const auto& attribute : item.attributes) keys.insert(attribute.first);
    CHECK(keys == std::set<std::string>{"service", "account", "kind",
                                        "xdg:schema"});
    CHECK(item.label.rfind("tokencache ", 0) == 0);
  }
  CHECK(ours == 2);
  const int hits = CanaryHitsInItems(canary);

  // Negative control: the same scan finds a canary planted in a label.
  const KeychainItemName planted{"tokencache-test-control", canary};
  REQUIRE_OK(internal::StoreSecret(planted, internal::kKindProbe, "x"));
  const int control_hits = CanaryHitsInItems(canary);
  Result<bool> cleared = internal::ClearSecret(planted, internal::kKindProbe);
  REQUIRE_OK(cleared);
  std::printf(
      "{\"id\":\"B5\",\"params\":{\"part\":\"attributes\"},\"figures\":{"
      "\"canary_hits\":%d,\"negative_control_hits\":%d},\"pass\":%s}\n",
      hits, control_hits, hits == 0 && control_hits > 0 ? "true" : "false");
  CHECK(hits == 0);
  CHECK(control_hits > 0);
}

TEST_CASE("B5: without a session bus every keychain use fails clearly and "
          "writes no file",
          "[keychain][B5][unavailable]") {
  test::RequireKeyringBus();
  TempDir home;
  TempDir dir;
  const ChildEnv env = NoBus(home);
  const std::string canary = "CANARY-nobus-0123456789abcdef";
  const std::string key_uri =
      "file://" + (dir / "cache.bin").string() + "?key=keychain:s/a";
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{kHelper, "open", "keychain://s/a", canary},
        std::vector<std::string>{kHelper, "open", key_uri, canary},
        std::vector<std::string>{kHelper, "keyid", "keychain:s/a"},
        std::vector<std::string>{kHelper, "probe"}}) {
    ChildResult r = RunChild(argv, env);
    INFO(argv[1] << " " << argv[2 % argv.size()] << ": " << r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.rfind("ERR UNAVAILABLE ", 0) == 0);
    CHECK(r.output.find("no Secret Service: cannot connect to the D-Bus "
                        "session bus") != std::string::npos);
    CHECK(r.output.find("docs/keychain.md") != std::string::npos);
    CHECK(CanaryHits(r.output, canary) == 0);
  }
  // No cache file: only the (empty) lock file may exist.
  std::set<std::string> files = FilesUnder(dir.path());
  CHECK(files.count("cache.bin") == 0);
  for (const std::string& f : files) {
    CHECK(std::filesystem::file_size(dir / f) == 0);
    CHECK(CanaryHits(ReadFile(dir / f), canary) == 0);
  }
}

TEST_CASE("A session bus address whose bus is gone reads as no Secret "
          "Service",
          "[keychain][unavailable]") {
  test::RequireKeyringBus();
  TempDir home;
  ChildEnv env = NoBus(home);
  env.set["DBUS_SESSION_BUS_ADDRESS"] =
      "unix:path=" + (home / "gone-bus").string();
  ChildResult r = RunChild({kHelper, "keyid", "keychain:s/a"}, env);
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK(r.output.rfind("ERR UNAVAILABLE ", 0) == 0);
  CHECK(r.output.find("no Secret Service: cannot connect") !=
        std::string::npos);
}

TEST_CASE("A session bus without a Secret Service provider is reported as "
          "such",
          "[keychain][unavailable]") {
  test::RequireKeyringBus();
  TempDir dir;
  const std::string script = kTestDir + "/private_keyring.sh";
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{script, "nosvc", kHelper, "keyid",
                                 "keychain:s/a"},
        std::vector<std::string>{script, "nosvc", kHelper, "open",
                                 "keychain://s/a", "CANARY-nosvc-123456"},
        std::vector<std::string>{script, "nosvc", kHelper, "probe"}}) {
    ChildResult r = RunChild(argv);
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find("ERR UNAVAILABLE ") != std::string::npos);
    CHECK(r.output.find("no Secret Service: nothing provides "
                        "org.freedesktop.secrets") != std::string::npos);
  }
}

TEST_CASE("B5: a locked keyring is reported as locked, never as an empty "
          "cache, and nothing is written",
          "[keychain][B5][unavailable]") {
  test::RequireKeyringBus();
  TempDir dir;
  const std::string script = kTestDir + "/private_keyring.sh";
  const std::string cache_uri = "keychain://s/cache";
  const std::string key_uri =
      "file://" + (dir / "cache.bin").string() + "?key=keychain:s/key";
  // While unlocked: a cache item and a key item exist.
  ChildEnv env;
  env.set["KEYRING_SETUP"] = kHelper + " open " + cache_uri +
                             " CANARY-locked-1234567 && " + kHelper +
                             " keyid keychain:s/key";
  ChildResult r = RunChild(
      {script, "locked", "sh", "-c",
       "\"$0\" open \"$1\" CANARY-locked-1234567; echo rc=$?; "
       "\"$0\" open \"$2\" CANARY-locked-1234567; echo rc=$?; "
       "\"$0\" keyid keychain:s/new; echo rc=$?",
       kHelper, cache_uri, key_uri},
      env);
  INFO(r.output);
  // The setup prints two OK lines; the locked phase three errors.
  std::vector<std::string> errors;
  int oks = 0;
  std::istringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("ERR ", 0) == 0) errors.push_back(line);
    if (line.rfind("OK", 0) == 0) ++oks;
  }
  CHECK(oks == 2);
  REQUIRE(errors.size() == 3);
  for (const std::string& e : errors) {
    CHECK(e.rfind("ERR UNAVAILABLE ", 0) == 0);
    CHECK(e.find("keychain is locked") != std::string::npos);
  }
  CHECK(r.output.find("rc=3") != std::string::npos);
  CHECK(r.output.find("rc=0") == std::string::npos);
  CHECK(FilesUnder(dir.path()).count("cache.bin") == 0);
}

TEST_CASE("The opt-in fallback key file is used only when asked for, and "
          "loudly",
          "[keychain][fallback][B5]") {
  test::RequireKeyringBus();
  TempDir home;
  TempDir dir;
  const ChildEnv env = NoBus(home);
  const std::string canary = "CANARY-fallback-0123456789";
  const std::string base = "file://" + (dir / "cache.bin").string() +
                           "?key=keychain:s/fallback";

  // Not opted in: an error and no cache or key file.
  ChildResult refused = RunChild({kHelper, "open", base, canary}, env);
  INFO(refused.output);
  CHECK(refused.exit_code == 3);
  CHECK(refused.output.find("no Secret Service") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "cache.bin"));
  CHECK_FALSE(std::filesystem::exists(dir / "cache.key"));

  // Opted in: it works, says so on stderr, and the file is still sealed.
  const std::string key_path = (dir / "cache.key").string();
  ChildResult used = RunChild(
      {kHelper, "open", base + "&fallback=file:" + key_path, canary}, env);
  INFO(used.output);
  CHECK(used.exit_code == 0);
  CHECK(used.output.find("tokencache: WARNING: keychain unavailable, using "
                         "the fallback key file " +
                         key_path) != std::string::npos);
  REQUIRE(std::filesystem::exists(dir / "cache.bin"));
  struct stat st {};
  REQUIRE(::stat(key_path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_size == 32);
  CHECK(CanaryHits(ReadFile(dir / "cache.bin"), canary) == 0);

  // The warning callback receives the message instead of stderr.
  std::vector<std::string> warnings;
  KeychainKeySourceOptions options;
  options.fallback_key_file = key_path;
  options.warn = [&](std::string_view m) { warnings.emplace_back(m); };
  // In this process the keychain works, so the callback stays silent.
  Result<std::unique_ptr<KeySource>> source =
      NewKeychainKeySource(FreshName("fallback-ok"), options);
  REQUIRE_OK(source);
  REQUIRE_OK((*source)->GetCipher());
  CHECK(warnings.empty());
}

TEST_CASE("ProbeKeychain stores, reads back and clears a probe item",
          "[keychain][doctor]") {
  test::RequireKeyringBus();
  const std::size_t before = AllItems().size();
  KeychainProbeResult probe = ProbeKeychain();
  INFO(probe.status.ToString());
  CHECK(probe.service_reachable);
  CHECK(probe.store_works);
  CHECK(probe.status.ok());
  CHECK(AllItems().size() == before);  // The probe item is gone again.
}

TEST_CASE("tokencache doctor reports the keychain on this bus and without "
          "one",
          "[keychain][doctor][cli]") {
  test::RequireKeyringBus();
  const std::string cli = TOKENCACHE_CLI_PATH;
  if (cli.empty()) {
    FAIL("this build has no tokencache CLI (TOKENCACHE_BUILD_CLI=OFF), so "
         "doctor cannot be checked");
  }
  ChildResult here = RunChild({cli, "doctor"});
  INFO(here.output);
  CHECK(here.exit_code == 0);
  CHECK(here.output.find("Secret Service reachable: yes") !=
        std::string::npos);
  CHECK(here.output.find("store/read/clear probe: ok") != std::string::npos);
  CHECK(here.output.find("?key=keychain:") != std::string::npos);

  TempDir home;
  ChildResult none = RunChild({cli, "doctor"}, NoBus(home));
  INFO(none.output);
  CHECK(none.exit_code == 0);
  CHECK(none.output.find("Secret Service reachable: no") !=
        std::string::npos);
  CHECK(none.output.find("no Secret Service: cannot connect") !=
        std::string::npos);
  CHECK(none.output.find("?key=file:") != std::string::npos);
}

}  // namespace
}  // namespace tokencache
