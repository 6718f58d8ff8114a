// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/keychain/secret_service.h"

#include <gio/gio.h>
#include <libsecret/secret.h>

#include <cstring>
#include <string>

namespace tokencache {
namespace internal {
namespace {

// The schema: exactly the three attributes the header documents. Nothing
// else about an item is stored in clear by the Secret Service except the
// label, which repeats the same names.
const SecretSchema* Schema() {
  static const SecretSchema schema = {
      kSchemaName,
      SECRET_SCHEMA_NONE,
      {
          {"service", SECRET_SCHEMA_ATTRIBUTE_STRING},
          {"account", SECRET_SCHEMA_ATTRIBUTE_STRING},
          {"kind", SECRET_SCHEMA_ATTRIBUTE_STRING},
          {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING},
      },
      0, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  return &schema;
}

// Frees a GError on scope exit.
struct ErrorHolder {
  GError* error = nullptr;
  ~ErrorHolder() {
    if (error != nullptr) g_error_free(error);
  }
};

constexpr char kWhatToDo[] =
    " Use a desktop session with a keyring, start gnome-keyring on a "
    "headless machine (docs/keychain.md), or pick a key file instead: "
    "?key=file:/abs/key (docs/choosing-a-uri.md).";

// platform-notes.md section 1 gives the errors each situation produces;
// this is the one place that turns them into codes and advice. GLib's
// messages name buses, services and object paths, never secret values, so
// they are kept for the reader.
Status FromGError(const GError* error, std::string_view operation) {
  const std::string detail = std::string(operation) + ": " +
                             (error->message != nullptr ? error->message : "");
  if (error->domain == SECRET_ERROR) {
    if (error->code == SECRET_ERROR_IS_LOCKED) {
      return Status(Code::kUnavailable,
                    "keychain is locked: the default collection is locked "
                    "and could not be unlocked without a prompt (" +
                        detail +
                        "). Unlock the login keyring (log in to the "
                        "desktop, or gnome-keyring-daemon --unlock with the "
                        "login password) and retry.");
    }
    return Status(Code::kIoError, "Secret Service protocol error (" + detail +
                                      ")");
  }
  if (error->domain == G_DBUS_ERROR) {
    switch (error->code) {
      case G_DBUS_ERROR_SERVICE_UNKNOWN:
      case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
        return Status(Code::kUnavailable,
                      "no Secret Service: nothing provides "
                      "org.freedesktop.secrets on the session bus (" +
                          detail + ")." + kWhatToDo);
      case G_DBUS_ERROR_UNKNOWN_OBJECT:
      case G_DBUS_ERROR_UNKNOWN_METHOD:
        return Status(Code::kUnavailable,
                      "no Secret Service: the keyring has no default "
                      "collection and cannot create one without a prompt (" +
                          detail + ")." + kWhatToDo);
      case G_DBUS_ERROR_ACCESS_DENIED:
      case G_DBUS_ERROR_AUTH_FAILED:
        return Status(Code::kPermissionDenied,
                      "the Secret Service refused access (" + detail + ")");
      case G_DBUS_ERROR_NO_REPLY:
      case G_DBUS_ERROR_TIMEOUT:
      case G_DBUS_ERROR_TIMED_OUT:
        return Status(Code::kUnavailable,
                      "the Secret Service did not answer in time; a prompt "
                      "may be waiting on a display (" +
                          detail + ")");
      default:
        return Status(Code::kUnavailable,
                      "no Secret Service: the session bus failed (" + detail +
                          ")." + kWhatToDo);
    }
  }
  if (error->domain == G_IO_ERROR) {
    if (error->code == G_IO_ERROR_DBUS_ERROR) {
      return Status(Code::kUnavailable,
                    "Secret Service error (" + detail + ")");
    }
    // No bus address and no X11 to autolaunch one, or an address whose
    // bus is gone: there is no session bus to ask.
    return Status(Code::kUnavailable,
                  "no Secret Service: cannot connect to the D-Bus session "
                  "bus (" +
                      detail + ")." + kWhatToDo);
  }
  return Status(Code::kIoError, "keychain error (" + detail + ")");
}

std::string Label(const KeychainItemName& name, std::string_view kind) {
  return "tokencache " + std::string(kind) + " " + name.service + "/" +
         name.account;
}

// Returns "keychain is locked" when an item with these attributes exists but
// is locked, OK when none exists or all are unlocked.
Status CheckNotLocked(const KeychainItemName& name,
                      const std::string& kind) {
  GHashTable* attributes = secret_attributes_build(
      Schema(), "service", name.service.c_str(), "account",
      name.account.c_str(), "kind", kind.c_str(), nullptr);
  ErrorHolder err;
  // No schema here: with one, the search also matches "xdg:schema", which
  // gnome-keyring cannot compare on a locked item and so never matches.
  GList* items = secret_service_search_sync(
      nullptr, nullptr, attributes, SECRET_SEARCH_ALL, nullptr, &err.error);
  g_hash_table_unref(attributes);
  if (err.error != nullptr) return FromGError(err.error, "search");
  bool locked = false;
  for (GList* l = items; l != nullptr; l = l->next) {
    if (secret_item_get_locked(SECRET_ITEM(l->data))) locked = true;
  }
  g_list_free_full(items, g_object_unref);
  if (!locked) return Status();
  return Status(Code::kUnavailable,
                "keychain is locked: the item exists but its collection is "
                "locked and could not be unlocked without a prompt. Unlock "
                "the login keyring (log in to the desktop, or "
                "gnome-keyring-daemon --unlock with the login password) and "
                "retry.");
}

}  // namespace

Status CheckItemName(const KeychainItemName& name) {
  for (const std::string* part : {&name.service, &name.account}) {
    if (part->empty() || part->size() > 255 ||
        part->find('\0') != std::string::npos) {
      return InvalidArgumentError(
          "keychain item: service and account must be 1 to 255 bytes "
          "without NUL");
    }
  }
  return Status();
}

Result<std::optional<SecretBytes>> LookupSecret(const KeychainItemName& name,
                                                std::string_view kind) {
  const std::string kind_text(kind);
  ErrorHolder err;
  SecretValue* value = secret_password_lookup_binary_sync(
      Schema(), nullptr, &err.error, "service", name.service.c_str(),
      "account", name.account.c_str(), "kind", kind_text.c_str(), nullptr);
  if (err.error != nullptr) {
    if (value != nullptr) secret_value_unref(value);
    return FromGError(err.error, "lookup");
  }
  if (value == nullptr) {
    // A lookup skips items it cannot unlock without a prompt and reports
    // "nothing stored" for them. Tell a locked item from a missing one, so
    // a locked keychain never reads as an empty cache.
    Status locked = CheckNotLocked(name, kind_text);
    if (!locked.ok()) return locked;
    return std::optional<SecretBytes>();
  }
  gsize length = 0;
  const gchar* data = secret_value_get(value, &length);
  std::optional<SecretBytes> out(
      SecretBytes(std::string_view(data, static_cast<std::size_t>(length))));
  // libsecret keeps the value in its own non-pageable memory and wipes it
  // when the last reference goes.
  secret_value_unref(value);
  return out;
}

Status StoreSecret(const KeychainItemName& name, std::string_view kind,
                   std::string_view secret) {
  const std::string kind_text(kind);
  SecretValue* value =
      secret_value_new(secret.data(), static_cast<gssize>(secret.size()),
                       "application/octet-stream");
  ErrorHolder err;
  const std::string label = Label(name, kind);
  gboolean stored = secret_password_store_binary_sync(
      Schema(), SECRET_COLLECTION_DEFAULT, label.c_str(), value, nullptr,
      &err.error, "service", name.service.c_str(), "account",
      name.account.c_str(), "kind", kind_text.c_str(), nullptr);
  secret_value_unref(value);
  if (err.error != nullptr) return FromGError(err.error, "store");
  if (!stored) return Status(Code::kIoError, "store: the keychain refused");
  return Status();
}

Result<bool> ClearSecret(const KeychainItemName& name, std::string_view kind) {
  const std::string kind_text(kind);
  ErrorHolder err;
  gboolean removed = secret_password_clear_sync(
      Schema(), nullptr, &err.error, "service", name.service.c_str(),
      "account", name.account.c_str(), "kind", kind_text.c_str(), nullptr);
  if (err.error != nullptr) return FromGError(err.error, "clear");
  return removed != FALSE;
}

Status CheckServiceReachable() {
  ErrorHolder err;
  GDBusConnection* bus = g_bus_get_sync(G_BUS_TYPE_SESSION, nullptr,
                                        &err.error);
  if (bus == nullptr) return FromGError(err.error, "connect");
  // Owned now, or activatable on first use: either serves requests.
  bool found = false;
  for (const char* method : {"NameHasOwner", "ListActivatableNames"}) {
    const bool has_owner = std::strcmp(method, "NameHasOwner") == 0;
    GVariant* reply = g_dbus_connection_call_sync(
        bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
        "org.freedesktop.DBus", method,
        has_owner ? g_variant_new("(s)", "org.freedesktop.secrets") : nullptr,
        nullptr, G_DBUS_CALL_FLAGS_NONE, 5000, nullptr, &err.error);
    if (reply == nullptr) {
      g_object_unref(bus);
      return FromGError(err.error, "ask the bus");
    }
    if (has_owner) {
      gboolean owned = FALSE;
      g_variant_get(reply, "(b)", &owned);
      found = owned != FALSE;
    } else {
      GVariantIter* names = nullptr;
      const gchar* activatable = nullptr;
      g_variant_get(reply, "(as)", &names);
      while (g_variant_iter_loop(names, "&s", &activatable)) {
        if (std::strcmp(activatable, "org.freedesktop.secrets") == 0) {
          found = true;
        }
      }
      g_variant_iter_free(names);
    }
    g_variant_unref(reply);
    if (found) break;
  }
  g_object_unref(bus);
  if (!found) {
    return Status(Code::kUnavailable,
                  std::string("no Secret Service: nothing provides "
                              "org.freedesktop.secrets on the session bus.") +
                      kWhatToDo);
  }
  return Status();
}

}  // namespace internal
}  // namespace tokencache
