// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "cli/commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <boost/program_options.hpp>
#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>

#include "cli/output.h"
#include "tokencache/backends/file.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/json.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace cli {
namespace {

namespace po = boost::program_options;

using JsonWriter = rapidjson::PrettyWriter<rapidjson::OStreamWrapper>;

// Parses a subcommand's arguments. Prints usage errors itself; returns
// false when the command must stop (with *exit_code set).
bool ParseArgs(const char* command, const Args& args,
               const po::options_description& options,
               const po::positional_options_description& positional,
               po::variables_map* vm, int* exit_code) {
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args)
                  .options(all)
                  .positional(positional)
                  .run(),
              *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    std::cerr << "tokencache " << command << ": " << UsageError(e) << "\n"
              << "Try 'tokencache " << command << " --help'.\n";
    *exit_code = kExitUsage;
    return false;
  }
  if (vm->count("help") != 0) {
    std::cout << "Usage: tokencache [--cache URI] " << command
              << (positional.max_total_count() > 0 ? " ARG" : "")
              << " [options]\n"
              << all;
    *exit_code = kExitOk;
    return false;
  }
  return true;
}

Result<std::unique_ptr<Serializer>> SerializerNamed(const std::string& name) {
  if (name == "msal-json" || name == "json") {
    return std::unique_ptr<Serializer>(NewMsalJsonSerializer());
  }
  if (name == "binary") return std::unique_ptr<Serializer>(NewBinarySerializer());
  return InvalidArgumentError("--format must be msal-json or binary");
}

// Reads a whole file into a SecretBytes (it holds tokens). Refuses
// anything that is not a regular file and anything over 256 MiB.
Result<SecretBytes> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    Code code = err == ENOENT   ? Code::kNotFound
                : err == EACCES ? Code::kPermissionDenied
                                : Code::kIoError;
    return Status(code, "cannot open " + path + ": " + std::strerror(err),
                  err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError(path + " is not a regular file");
  }
  constexpr off_t kMax = off_t{256} << 20;
  if (st.st_size > kMax) {
    ::close(fd);
    return Status(Code::kResourceExhausted, path + " is larger than 256 MiB");
  }
  SecretBytes bytes;
  bytes.Resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.mutable_data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : 0;
      ::close(fd);
      return Status(Code::kIoError, "cannot read " + path, err);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return bytes;
}

Result<std::unique_ptr<Cache>> OpenOrFail(const std::string& uri) {
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  if (!cache.ok()) {
    // The URI's options may hold secrets; say which cache by its redacted form.
    Result<CacheUri> parsed = ParseCacheUri(uri);
    std::string name = parsed.ok() ? parsed->Redacted() : "the cache URI";
    return cache.status().WithContext("opening " + name);
  }
  return cache;
}

std::size_t EntryCount(const CacheSnapshot& s) {
  return s.accounts.size() + s.access_tokens.size() + s.refresh_tokens.size() +
         s.id_tokens.size() + s.app_metadata.size();
}

void PrintCounts(std::ostream& out, const CacheSnapshot& s) {
  out << s.accounts.size() << " accounts, " << s.access_tokens.size()
      << " access tokens, " << s.refresh_tokens.size() << " refresh tokens, "
      << s.id_tokens.size() << " ID tokens, " << s.app_metadata.size()
      << " app metadata";
}

void Field(JsonWriter& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void TimeField(JsonWriter& w, const char* name, UnixSeconds value) {
  w.Key(name);
  if (value == 0) {
    w.Null();
  } else {
    w.Int64(value);
  }
}

void SecretField(JsonWriter& w, const char* name, const SecretBytes& secret,
                 bool show) {
  w.Key(name);
  if (show) {
    w.String(secret.data(), static_cast<rapidjson::SizeType>(secret.size()));
  } else {
    w.Null();
  }
  std::string length_key = std::string(name) + "_length";
  w.Key(length_key.c_str());
  w.Uint64(secret.size());
}

}  // namespace

int RunImport(const std::string& uri, const Args& args) {
  po::options_description options("import options");
  options.add_options()
      ("file", po::value<std::string>()->required(),
       "cache file to merge in (MSAL JSON written by MSAL .NET, Python, "
       "Node or tokencache)")
      ("format", po::value<std::string>()->default_value("msal-json"),
       "format of FILE: msal-json or binary");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseArgs("import", args, options, positional, &vm, &exit_code)) {
    return exit_code;
  }
  const std::string& file = vm["file"].as<std::string>();
  Result<std::unique_ptr<Serializer>> serializer =
      SerializerNamed(vm["format"].as<std::string>());
  if (!serializer.ok()) return Fail("import", serializer.status());
  Result<SecretBytes> bytes = ReadWholeFile(file);
  if (!bytes.ok()) return Fail("import", bytes.status());
  Result<CacheSnapshot> snapshot = (*serializer)->Deserialize(bytes->view());
  if (!snapshot.ok()) {
    return Fail("import", snapshot.status().WithContext("reading " + file));
  }
  Result<std::unique_ptr<Cache>> cache = OpenOrFail(uri);
  if (!cache.ok()) return Fail("import", cache.status());
  Status s = (*cache)->Import(*snapshot);
  if (!s.ok()) return Fail("import", s);
  std::cout << "imported ";
  PrintCounts(std::cout, *snapshot);
  std::cout << "\n";
  return kExitOk;
}

int RunExport(const std::string& uri, const Args& args) {
  po::options_description options("export options");
  options.add_options()
      ("output,o", po::value<std::string>(),
       "write to this file (mode 0600, replaced atomically) instead of "
       "stdout")
      ("format", po::value<std::string>()->default_value("msal-json"),
       "msal-json (readable by MSAL apps) or binary")
      ("pretty", "indent the JSON");
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseArgs("export", args, options, {}, &vm, &exit_code)) {
    return exit_code;
  }
  const std::string format = vm["format"].as<std::string>();
  std::unique_ptr<Serializer> serializer;
  if (format == "msal-json" || format == "json") {
    JsonSerializerOptions json;
    json.pretty = vm.count("pretty") != 0;
    serializer = NewMsalJsonSerializer(json);
  } else if (format == "binary") {
    serializer = NewBinarySerializer();
  } else {
    return Fail("export", InvalidArgumentError(
                              "--format must be msal-json or binary"));
  }
  Result<std::unique_ptr<Cache>> cache = OpenOrFail(uri);
  if (!cache.ok()) return Fail("export", cache.status());
  Result<CacheSnapshot> snapshot = (*cache)->Export();
  if (!snapshot.ok()) return Fail("export", snapshot.status());
  Result<SecretBytes> bytes = serializer->Serialize(*snapshot);
  if (!bytes.ok()) return Fail("export", bytes.status());

  if (vm.count("output") == 0) {
    std::cout.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (format != "binary") std::cout << "\n";
    std::cout.flush();
    return std::cout ? kExitOk : kExitIo;
  }
  std::filesystem::path out =
      std::filesystem::absolute(vm["output"].as<std::string>());
  // The file store gives us what a token file needs: 0600, a new inode,
  // temp + fsync + rename, symlinks refused.
  Result<std::unique_ptr<BlobStore>> store = FileBlobStore::Open(out);
  if (!store.ok()) return Fail("export", store.status());
  Result<BlobVersion> written = (*store)->Write(bytes->view(), std::nullopt);
  if (!written.ok()) return Fail("export", written.status());
  std::cerr << "exported ";
  PrintCounts(std::cerr, *snapshot);
  std::cerr << " to " << out.string() << "\n";
  return kExitOk;
}

int RunAccounts(const std::string& uri, const Args& args) {
  po::options_description options("accounts options");
  options.add_options()("json", "print JSON");
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseArgs("accounts", args, options, {}, &vm, &exit_code)) {
    return exit_code;
  }
  Result<std::unique_ptr<Cache>> cache = OpenOrFail(uri);
  if (!cache.ok()) return Fail("accounts", cache.status());
  Result<std::vector<Account>> accounts = (*cache)->GetAccounts();
  if (!accounts.ok()) return Fail("accounts", accounts.status());

  if (vm.count("json") != 0) {
    rapidjson::OStreamWrapper os(std::cout);
    JsonWriter w(os);
    w.StartArray();
    for (const Account& a : *accounts) {
      w.StartObject();
      Field(w, "home_account_id", a.home_account_id);
      Field(w, "environment", a.environment);
      Field(w, "realm", a.realm);
      Field(w, "local_account_id", a.local_account_id);
      Field(w, "username", a.username);
      Field(w, "name", a.name);
      Field(w, "authority_type", a.authority_type);
      w.Key("tenants");
      w.StartArray();
      for (const TenantProfile& t : a.tenant_profiles) {
        w.String(t.tenant_id.c_str());
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    std::cout << "\n";
    return kExitOk;
  }
  if (accounts->empty()) {
    std::cout << "no accounts\n";
    return kExitOk;
  }
  for (const Account& a : *accounts) {
    std::cout << a.home_account_id << "\n"
              << "  username     " << (a.username.empty() ? "-" : a.username)
              << "\n"
              << "  name         " << (a.name.empty() ? "-" : a.name) << "\n"
              << "  environment  " << a.environment << "\n"
              << "  realm        " << a.realm << "\n";
    if (!a.tenant_profiles.empty()) {
      std::cout << "  tenants     ";
      for (const TenantProfile& t : a.tenant_profiles) {
        std::cout << " " << t.tenant_id << (t.is_home_tenant ? " (home)" : "");
      }
      std::cout << "\n";
    }
  }
  return kExitOk;
}

int RunTokens(const std::string& uri, const Args& args) {
  po::options_description options("tokens options");
  options.add_options()
      ("json", "print JSON")
      ("show-secrets",
       "include token text in the output (it grants access: handle with care)");
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseArgs("tokens", args, options, {}, &vm, &exit_code)) {
    return exit_code;
  }
  const bool show = vm.count("show-secrets") != 0;
  Result<std::unique_ptr<Cache>> cache = OpenOrFail(uri);
  if (!cache.ok()) return Fail("tokens", cache.status());
  Result<CacheSnapshot> snapshot = (*cache)->Export();
  if (!snapshot.ok()) return Fail("tokens", snapshot.status());
  const UnixSeconds now = SystemClock()->Now();

  if (vm.count("json") != 0) {
    rapidjson::OStreamWrapper os(std::cout);
    JsonWriter w(os);
    w.StartObject();
    w.Key("access_tokens");
    w.StartArray();
    for (const AccessToken& t : snapshot->access_tokens) {
      w.StartObject();
      Field(w, "home_account_id", t.home_account_id);
      Field(w, "environment", t.environment);
      Field(w, "client_id", t.client_id);
      Field(w, "realm", t.realm);
      Field(w, "target", t.target);
      Field(w, "token_type", t.token_type.empty() ? "Bearer" : t.token_type);
      if (!t.key_id.empty()) Field(w, "key_id", t.key_id);
      TimeField(w, "cached_at", t.cached_at);
      TimeField(w, "expires_on", t.expires_on);
      TimeField(w, "extended_expires_on", t.extended_expires_on);
      TimeField(w, "refresh_on", t.refresh_on);
      SecretField(w, "secret", t.secret, show);
      w.EndObject();
    }
    w.EndArray();
    w.Key("refresh_tokens");
    w.StartArray();
    for (const RefreshToken& t : snapshot->refresh_tokens) {
      w.StartObject();
      Field(w, "home_account_id", t.home_account_id);
      Field(w, "environment", t.environment);
      Field(w, "client_id", t.client_id);
      Field(w, "family_id", t.family_id);
      SecretField(w, "secret", t.secret, show);
      w.EndObject();
    }
    w.EndArray();
    w.Key("id_tokens");
    w.StartArray();
    for (const IdToken& t : snapshot->id_tokens) {
      w.StartObject();
      Field(w, "home_account_id", t.home_account_id);
      Field(w, "environment", t.environment);
      Field(w, "client_id", t.client_id);
      Field(w, "realm", t.realm);
      SecretField(w, "secret", t.secret, show);
      w.EndObject();
    }
    w.EndArray();
    w.Key("app_metadata");
    w.StartArray();
    for (const AppMetadata& m : snapshot->app_metadata) {
      w.StartObject();
      Field(w, "client_id", m.client_id);
      Field(w, "environment", m.environment);
      Field(w, "family_id", m.family_id);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    std::cout << "\n";
    return kExitOk;
  }

  auto secret_text = [show](const SecretBytes& s) {
    return show ? std::string(s.view()) : Redacted(s);
  };
  std::cout << "access tokens (" << snapshot->access_tokens.size() << ")\n";
  for (const AccessToken& t : snapshot->access_tokens) {
    std::cout << "  " << (t.home_account_id.empty() ? "(app)" : t.home_account_id)
              << "  client " << t.client_id << "  realm " << t.realm << "\n"
              << "    scopes   " << t.target << "\n"
              << "    expires  " << FormatTime(t.expires_on) << " ("
              << FormatRelative(t.expires_on, now) << ")";
    if (t.refresh_on != 0) {
      std::cout << "  refresh " << FormatRelative(t.refresh_on, now);
    }
    std::cout << "\n    type     "
              << (t.token_type.empty() ? "Bearer" : t.token_type) << "  secret "
              << secret_text(t.secret) << "\n";
  }
  std::cout << "refresh tokens (" << snapshot->refresh_tokens.size() << ")\n";
  for (const RefreshToken& t : snapshot->refresh_tokens) {
    std::cout << "  " << t.home_account_id << "  client " << t.client_id
              << (t.family_id.empty() ? "" : "  family " + t.family_id)
              << "  secret " << secret_text(t.secret) << "\n";
  }
  std::cout << "ID tokens (" << snapshot->id_tokens.size() << ")\n";
  for (const IdToken& t : snapshot->id_tokens) {
    std::cout << "  " << t.home_account_id << "  client " << t.client_id
              << "  realm " << t.realm << "  secret " << secret_text(t.secret)
              << "\n";
  }
  std::cout << "app metadata (" << snapshot->app_metadata.size() << ")\n";
  for (const AppMetadata& m : snapshot->app_metadata) {
    std::cout << "  " << m.client_id << "  " << m.environment
              << (m.family_id.empty() ? "" : "  family " + m.family_id) << "\n";
  }
  return kExitOk;
}

int RunRemoveAccount(const std::string& uri, const Args& args) {
  po::options_description options("remove-account options");
  options.add_options()("home-account-id", po::value<std::string>()->required(),
                        "the account to remove, e.g. <uid>.<utid>");
  po::positional_options_description positional;
  positional.add("home-account-id", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseArgs("remove-account", args, options, positional, &vm,
                 &exit_code)) {
    return exit_code;
  }
  const std::string& home = vm["home-account-id"].as<std::string>();
  Result<std::unique_ptr<Cache>> cache = OpenOrFail(uri);
  if (!cache.ok()) return Fail("remove-account", cache.status());
  std::size_t before = 0;
  std::size_t after = 0;
  Status s = (*cache)->Update([&](CacheTransaction& tx) {
    before = EntryCount(tx.Export());
    tx.RemoveAccount(home);
    after = EntryCount(tx.Export());
    return Status();
  });
  if (!s.ok()) return Fail("remove-account", s);
  if (before == after) {
    return Fail("remove-account",
                NotFoundError("no entries for account " + home));
  }
  std::cout << "removed " << (before - after) << " entries of " << home
            << "\n";
  return kExitOk;
}

}  // namespace cli
}  // namespace tokencache
