/*
 * The pages' passkey ceremonies: signing in (a button, and the browser's autofill), signing up,
 * confirming it's you, and adding one in the settings. The service's own file, the only script its
 * pages run (CSP: script-src 'self'): no inline code, no library. Each ceremony asks the JSON API
 * for options, hands them to WebAuthn, and posts the credential back as @simplewebauthn/server
 * reads it; the pages mark what it needs with data-* attributes.
 */
(function () {
  'use strict';

  // --- base64url ↔ bytes, as WebAuthn's JSON forms write binary values ---------------------------

  function bytesOf(base64url) {
    var base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
    var binary = atob(base64 + '==='.slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function base64urlOf(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function withBinaryIds(descriptors) {
    return (descriptors || []).map(function (descriptor) {
      return Object.assign({}, descriptor, { id: bytesOf(descriptor.id) });
    });
  }

  /** PublicKeyCredentialCreationOptionsJSON → what navigator.credentials.create takes. */
  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: bytesOf(json.challenge),
      user: Object.assign({}, json.user, { id: bytesOf(json.user.id) }),
      excludeCredentials: withBinaryIds(json.excludeCredentials),
    });
  }

  /** PublicKeyCredentialRequestOptionsJSON → what navigator.credentials.get takes. */
  function requestOptions(json) {
    var options = Object.assign({}, json, { challenge: bytesOf(json.challenge) });
    if (json.allowCredentials) options.allowCredentials = withBinaryIds(json.allowCredentials);
    return options;
  }

  function credentialJson(credential, response) {
    return {
      id: credential.id,
      rawId: base64urlOf(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: response,
    };
  }

  /** A new credential as RegistrationResponseJSON. */
  function registrationJson(credential) {
    var response = credential.response;
    var json = {
      clientDataJSON: base64urlOf(response.clientDataJSON),
      attestationObject: base64urlOf(response.attestationObject),
    };
    // Newer browsers also give these; the server reads them from the attestation anyway.
    if (typeof response.getTransports === 'function') json.transports = response.getTransports();
    if (typeof response.getAuthenticatorData === 'function') {
      json.authenticatorData = base64urlOf(response.getAuthenticatorData());
    }
    if (typeof response.getPublicKeyAlgorithm === 'function') {
      json.publicKeyAlgorithm = response.getPublicKeyAlgorithm();
    }
    return credentialJson(credential, json);
  }

  /** An assertion as AuthenticationResponseJSON. */
  function authenticationJson(credential) {
    var response = credential.response;
    var json = {
      clientDataJSON: base64urlOf(response.clientDataJSON),
      authenticatorData: base64urlOf(response.authenticatorData),
      signature: base64urlOf(response.signature),
    };
    if (response.userHandle) json.userHandle = base64urlOf(response.userHandle);
    return credentialJson(credential, json);
  }

  // --- the JSON API ------------------------------------------------------------------------------

  /** A refusal from the API, with its code and message ({ error: { code, message, field? } }). */
  function ApiError(status, error) {
    this.status = status;
    this.code = (error && error.code) || 'UNEXPECTED';
    this.field = error && error.field;
    this.message =
      (error && error.message) || 'The service did not answer as expected. Please try again.';
  }

  function post(base, path, body, method) {
    return fetch(base + path, {
      method: method || 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch {
          data = null;
        }
        if (!response.ok) throw new ApiError(response.status, data && data.error);
        return data;
      });
    });
  }

  // --- what the person sees ----------------------------------------------------------------------

  var SUPPORTED =
    typeof window.PublicKeyCredential === 'function' &&
    !!navigator.credentials &&
    typeof navigator.credentials.create === 'function';

  /** Words for what WebAuthn itself refused (a DOMException's name). */
  function browserProblem(error, creating) {
    switch (error && error.name) {
      case 'NotAllowedError':
        return creating
          ? 'No passkey was made: it was cancelled, or the time ran out. Please try again.'
          : 'No passkey was used: it was cancelled, or the time ran out. Please try again.';
      case 'InvalidStateError':
        return 'This device already holds a passkey for this account.';
      case 'SecurityError':
        return 'This browser refused to use passkeys for this address.';
      case 'NotSupportedError':
        return 'This browser or device cannot make a passkey of the kind this service needs.';
      default:
        return 'Something went wrong with the passkey. Please try again.';
    }
  }

  function messageOf(error, creating) {
    return error instanceof ApiError ? error.message : browserProblem(error, creating);
  }

  /** The role="alert" element of a passkey block: shown with its message, or hidden. */
  function alertOf(block) {
    var element = block.querySelector('[data-passkey-error]');
    return {
      show: function (message) {
        element.textContent = message;
        element.hidden = false;
      },
      clear: function () {
        element.textContent = '';
        element.hidden = true;
      },
    };
  }

  /** Runs a ceremony from a button: disabled meanwhile, its failure shown in the block's alert. */
  function onClick(button, alert, creating, ceremony) {
    button.addEventListener('click', function (event) {
      event.preventDefault();
      if (button.disabled) return;
      alert.clear();
      button.disabled = true;
      ceremony().then(
        function () {
          button.disabled = false;
        },
        function (error) {
          button.disabled = false;
          if (error && error.name === 'AbortError') return;
          alert.show(messageOf(error, creating));
        },
      );
    });
  }

  function go(url) {
    window.location.assign(url);
  }

  /** Shows what needs a script that is here, and the note of a browser without passkeys. */
  function reveal(block) {
    var unsupported = block.querySelector('[data-passkey-unsupported]');
    block.querySelectorAll('[data-passkey-needs-support]').forEach(function (element) {
      element.hidden = !SUPPORTED;
    });
    if (unsupported) unsupported.hidden = SUPPORTED;
    return SUPPORTED;
  }

  // --- signing in: /login ------------------------------------------------------------------------

  function signIn(block) {
    if (!reveal(block)) return;
    var base = block.dataset.base;
    // Where the password form would lead: the checked returnTo, or the home page.
    var landing = block.dataset.returnTo || base + '/?notice=signed-in';
    var alert = alertOf(block);
    var autofill = null;

    function assert(publicKey, mediation, signal) {
      return navigator.credentials
        .get({ publicKey: publicKey, mediation: mediation, signal: signal })
        .then(function (credential) {
          return post(base, '/auth/passkey', { response: authenticationJson(credential) });
        })
        .then(function () {
          go(landing);
        });
    }

    /** The browser's autofill offers the account's passkeys in the login field. */
    function startAutofill() {
      var controller = new AbortController();
      autofill = controller;
      post(base, '/auth/passkey/options')
        .then(function (options) {
          if (controller.signal.aborted) return undefined;
          return assert(requestOptions(options), 'conditional', controller.signal);
        })
        .catch(function (error) {
          if (controller.signal.aborted || (error && error.name === 'AbortError')) return;
          alert.show(messageOf(error, false));
          // A new request, so that the next choice in the autofill works again.
          if (autofill === controller) startAutofill();
        });
    }

    onClick(block.querySelector('[data-passkey-sign-in]'), alert, false, function () {
      // One WebAuthn request at a time: the button's replaces the autofill's.
      if (autofill) autofill.abort();
      autofill = null;
      return post(base, '/auth/passkey/options').then(function (options) {
        return assert(requestOptions(options), 'optional');
      });
    });

    var conditional = window.PublicKeyCredential.isConditionalMediationAvailable;
    if (typeof conditional === 'function') {
      conditional.call(window.PublicKeyCredential).then(
        function (available) {
          if (available) startAutofill();
        },
        function () {},
      );
    }
  }

  // --- signing up: /register ---------------------------------------------------------------------

  function register(block) {
    if (!reveal(block)) return;
    var base = block.dataset.base;
    var form = block.closest('form') || document;
    var alert = alertOf(block);
    var field = function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      return input ? input.value.trim() : '';
    };

    onClick(block.querySelector('[data-passkey-register]'), alert, true, function () {
      var email = field('email');
      if (!email) {
        return Promise.reject(
          new ApiError(400, { message: 'Please fill in your email first.', field: 'email' }),
        );
      }
      // The account as the form describes it, checked before the device makes anything.
      var account = { email: email };
      if (field('username')) account.username = field('username');
      var data = profileDataOf(form);
      if (data) account.data = data;
      return post(base, '/auth/register/passkey/options', account)
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (credential) {
          return post(base, '/auth/register/passkey', { response: registrationJson(credential) });
        })
        .then(function () {
          // The name typed too, now that the account exists; if it is refused, the settings'
          // profile form is where it is fixed.
          var name = field('name');
          if (!name) return 'registered';
          return post(base, '/me', { name: name }, 'PATCH').then(
            function () {
              return 'registered';
            },
            function () {
              return 'registered-profile-unsaved';
            },
          );
        })
        .then(function (notice) {
          go(base + '/settings?notice=' + notice);
        });
    });
  }

  /**
   * The profile fields typed in the registration form, as the API takes them (numbers as numbers,
   * a ticked checkbox as true), or null when none was filled in.
   */
  function profileDataOf(form) {
    var data = {};
    var filled = false;
    form.querySelectorAll('[name^="data."]').forEach(function (input) {
      var key = input.name.slice('data.'.length);
      if (input.type === 'checkbox') {
        data[key] = input.checked;
        filled = filled || input.checked;
        return;
      }
      var text = input.value.trim();
      if (!text) return;
      data[key] = input.type === 'number' && isFinite(Number(text)) ? Number(text) : text;
      filled = true;
    });
    return filled ? data : null;
  }

  // --- confirming it's you: /settings/confirm ----------------------------------------------------

  function confirm(block) {
    if (!reveal(block)) return;
    var base = block.dataset.base;
    var alert = alertOf(block);
    onClick(block.querySelector('[data-passkey-confirm]'), alert, false, function () {
      return post(base, '/auth/passkey/options')
        .then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (credential) {
          return post(base, '/auth/reauthenticate', { passkey: authenticationJson(credential) });
        })
        .then(function () {
          go(base + '/settings?notice=reauthenticated');
        });
    });
  }

  // --- adding one: /settings ---------------------------------------------------------------------

  function add(block) {
    if (!reveal(block)) return;
    var base = block.dataset.base;
    var alert = alertOf(block);
    var nameInput = block.querySelector('[data-passkey-name]');
    onClick(block.querySelector('[data-passkey-add]'), alert, true, function () {
      return post(base, '/me/passkeys/options')
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (credential) {
          var body = { response: registrationJson(credential) };
          var name = nameInput ? nameInput.value.trim() : '';
          if (name) body.name = name;
          return post(base, '/me/passkeys', body);
        })
        .then(function () {
          go(base + '/settings?notice=passkey-added');
        })
        .catch(function (error) {
          // An old sign-in: the "confirm it's you" step first, as the settings forms do.
          if (error instanceof ApiError && error.code === 'RECENT_SIGN_IN_REQUIRED') {
            go(base + '/settings/confirm');
            return;
          }
          throw error;
        });
    });
  }

  var CEREMONIES = {
    'sign-in': signIn,
    register: register,
    confirm: confirm,
    add: add,
  };

  document.querySelectorAll('[data-passkeys]').forEach(function (block) {
    var ceremony = CEREMONIES[block.dataset.passkeys];
    if (ceremony) ceremony(block);
  });
})();
