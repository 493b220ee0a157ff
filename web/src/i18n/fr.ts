/** Le dictionnaire français : la langue par défaut, et la forme de tous les autres. */

const messages = {
  'app.name': 'Adhésion',
  'app.skipToContent': 'Aller au contenu',
  'app.navigation': 'Navigation principale',
  'app.language': 'Langue',
  'app.signOut': 'Se déconnecter',
  'app.footer': 'Adhésion : demander à rejoindre une organisation, et décider des demandes.',
  'app.configError':
    "La console n'a pas pu lire sa configuration (config.json). Réessayez dans un moment ; si cela dure, prévenez l'équipe qui l'exploite.",

  'nav.myOrganizations': 'Mes organisations',
  'nav.myRequests': 'Mes demandes',
  'nav.createOrganization': 'Créer une organisation',

  'common.loading': 'Chargement…',
  'common.cancel': 'Annuler',
  'common.more': 'Afficher plus',

  'field.count': '{n} / {max} caractères',
  'field.tooLong.one': '{n} caractère de trop (maximum {max}).',
  'field.tooLong.other': '{n} caractères de trop (maximum {max}).',
  'field.required': 'Ce champ est obligatoire.',

  'roles.admin': 'Administrateur',
  'roles.editor': 'Éditeur',

  'status.pending': 'En attente',
  'status.accepted': 'Acceptée',
  'status.refused': 'Refusée',
  'status.withdrawn': 'Retirée',

  'signIn.title': 'Connexion',
  'signIn.email': 'Adresse e-mail',
  'signIn.password': 'Mot de passe',
  'signIn.submit': 'Se connecter',
  'signIn.missing': 'Saisissez votre adresse e-mail et votre mot de passe.',
  'signIn.localHint': 'Pile locale : make run affiche les comptes de démonstration et leurs mots de passe.',
  'signIn.hostedExplanation': "Vous allez être dirigé vers la page de connexion du service d'identité.",
  'signIn.hostedButton': 'Se connecter',
  'signIn.completing': 'Connexion en cours…',
  'signIn.again': 'Se connecter à nouveau',
  'signIn.failure.invalid_credentials': 'Adresse e-mail ou mot de passe incorrect.',
  'signIn.failure.password_reset_required': 'Votre mot de passe doit être réinitialisé avant de vous connecter.',
  'signIn.failure.user_not_confirmed': "Votre compte n'est pas encore confirmé.",
  'signIn.failure.new_password_required':
    'Ce compte doit choisir un nouveau mot de passe, ce que la console ne permet pas encore.',
  'signIn.failure.too_many_attempts': 'Trop de tentatives. Patientez quelques minutes avant de réessayer.',
  'signIn.failure.unavailable': "Le service d'identité ne répond pas. Réessayez dans un moment.",
  'signIn.failure.state_mismatch':
    "La réponse de connexion ne correspond à aucune demande de cet onglet. Recommencez la connexion.",
  'signIn.failure.hosted_refused': "Le service d'identité a refusé la connexion. Recommencez.",

  'notifications.label': 'Notifications',
  'notifications.labelCount.one': 'Notifications : {n} demande en attente',
  'notifications.labelCount.other': 'Notifications : {n} demandes en attente',
  'notifications.title': 'Notifications',
  'notifications.empty': 'Aucune demande en attente dans vos organisations.',
  'notifications.pendingRequest': "Demande d'adhésion en attente",
  'notifications.line': '{organization} · {name}',
  'notifications.more.one': 'Et {n} autre demande.',
  'notifications.more.other': 'Et {n} autres demandes.',

  'org.notFoundTitle': 'Organisation introuvable',
  'org.membersCount.one': '{n} membre',
  'org.membersCount.other': '{n} membres',
  'org.youAreAdmin': 'Vous êtes administrateur',
  'org.youAreEditor': 'Vous êtes éditeur',
  'org.actions': 'Actions',
  'org.leave': "Quitter l'organisation",
  'org.leaveTitle': 'Quitter {organization}',
  'org.leaveQuestion': "Vous ne serez plus membre de {organization}. Pour revenir, il faudra demander à nouveau.",
  'org.leaveConfirm': 'Quitter',
  'org.left': 'Vous avez quitté {organization}.',

  'ask.button': "Demander à rejoindre l'organisation en tant que producteur",
  'ask.dialogTitle': 'Demander à rejoindre {organization}',
  'ask.explanation': "Les administrateurs de l'organisation recevront votre demande et votre motivation par e-mail.",
  'ask.motivation': 'Motivation',
  'ask.motivationHint': 'Expliquez pourquoi vous souhaitez rejoindre cette organisation ({min} à {max} caractères).',
  'ask.ok': 'Ok',
  'ask.sent': 'Votre demande a été envoyée aux administrateurs.',
  'ask.pendingTitle': "Votre demande d'adhésion est en attente.",
  'ask.pendingSince': 'Envoyée le {date}.',
  'ask.withdraw': 'Retirer ma demande',
  'ask.withdrawn': 'Votre demande a été retirée.',

  'members.title': 'Membres',
  'members.you': '(vous)',
  'members.since': 'Membre depuis le {date}',
  'members.more': 'Afficher plus de membres',
  'members.roleOf': 'Rôle de {name}',
  'members.changeRole': 'Changer le rôle',
  'members.changeRoleLabel': 'Changer le rôle de {name}',
  'members.roleChanged': '{name} est maintenant {role}.',
  'members.remove': 'Retirer',
  'members.removeLabel': "Retirer {name} de l'organisation",
  'members.removeTitle': 'Retirer {name}',
  'members.removeQuestion': '{name} ne sera plus membre de {organization}.',
  'members.removeConfirm': 'Retirer ce membre',
  'members.removed': "{name} n'est plus membre.",

  'requests.pendingTitle': 'Demandes en attente',
  'requests.none': 'Aucune demande en attente.',
  'requests.askedOn': 'Demandée le {date}',
  'requests.more': 'Afficher plus de demandes',
  'requests.onlyAdmins': 'Seuls les administrateurs peuvent accepter ou refuser les demandes.',
  'requests.roleFor': 'Rôle attribué à {name}',
  'requests.accept': 'Accepter',
  'requests.acceptLabel': 'Accepter la demande de {name}',
  'requests.refuse': 'Refuser',
  'requests.refuseLabel': 'Refuser la demande de {name}',
  'requests.accepted': 'La demande de {name} a été acceptée ({role}).',
  'requests.refused': 'La demande de {name} a été refusée.',
  'requests.outcome.pending': 'La demande de {name}, envoyée le {date}, est en attente.',
  'requests.outcome.accepted': 'La demande de {name} a été acceptée le {date} par {by} ({role}).',
  'requests.outcome.refused': 'La demande de {name} a été refusée le {date} par {by}.',
  'requests.outcome.withdrawn': 'La demande de {name} a été retirée le {date}.',

  'refuse.dialogTitle': 'Refuser la demande de {name}',
  'refuse.reason': 'Motif du refus (facultatif)',
  'refuse.reasonHint': 'Le motif est envoyé à {name} par e-mail (au plus {max} caractères).',
  'refuse.confirm': 'Confirmer le refus',

  'myRequests.title': 'Mes demandes',
  'myRequests.filter': 'Statut',
  'myRequests.all': 'Toutes',
  'myRequests.none': "Vous n'avez aucune demande.",
  'myRequests.unknownOrganization': 'Organisation',
  'myRequests.askedOn': 'Demandée le {date}',
  'myRequests.acceptedAs': 'Acceptée le {date} : vous êtes {role}.',
  'myRequests.refusedOn': 'Refusée le {date}.',
  'myRequests.withdraw': 'Retirer ma demande',
  'myRequests.withdrawLabel': 'Retirer ma demande pour {organization}',
  'myRequests.withdrawn': 'Votre demande pour {organization} a été retirée.',

  'myOrganizations.title': 'Mes organisations',
  'myOrganizations.none': "Vous n'êtes membre d'aucune organisation.",

  'createOrganization.title': 'Créer une organisation',
  'createOrganization.explanation': 'Vous en deviendrez le premier administrateur.',
  'createOrganization.name': 'Nom',
  'createOrganization.description': 'Description (facultative)',
  'createOrganization.nameOneLine': 'Le nom tient sur une seule ligne.',
  'createOrganization.submit': "Créer l'organisation",

  'notFound.title': 'Page introuvable',
  'notFound.text': "Cette adresse ne correspond à aucune page de la console.",
  'notFound.home': "Retour à l'accueil",

  'errors.retry': 'Réessayez {when}.',
}

/**
 * Every error code the API answers, as a sentence: the contract's codes (checked against
 * chalicelib/openapi.json by tests/errors.test.ts), those the gateway and Chalice answer
 * by themselves, and the console's own (no answer, no session, an unknown code).
 */
const errors = {
  invalid_request: "La demande n'est pas valide : vérifiez les champs saisis (texte simple, sans caractère spécial invisible).",
  invalid_cursor: 'La liste a changé depuis son affichage. Rechargez la page.',
  forbidden: "Vous n'avez pas le droit de faire cette action.",
  email_not_verified: "Votre adresse e-mail n'est pas vérifiée : vérifiez-la avant de faire cette demande.",
  organization_not_found: "Cette organisation n'existe pas.",
  member_not_found: "Cette personne n'est pas membre de l'organisation.",
  request_not_found: "Cette demande n'existe pas ou vous n'avez pas le droit de la voir.",
  already_member: 'La personne concernée est déjà membre de cette organisation.',
  request_pending: 'Une demande est déjà en attente pour cette organisation.',
  request_not_pending: "Cette demande n'est plus en attente : elle a déjà été traitée ou retirée.",
  last_admin: "L'organisation doit garder au moins un administrateur.",
  conflict: "Quelqu'un d'autre a modifié ces données en même temps. Rechargez la page et réessayez.",
  emails_in_progress: 'Les e-mails de la décision précédente partent encore. Réessayez dans un instant.',
  too_many_pending_requests: 'Vous avez trop de demandes en attente. Attendez une réponse ou retirez-en une.',
  request_cooldown: 'Vous avez déjà demandé à rejoindre cette organisation récemment.',
  too_many_requests: 'Trop de requêtes en peu de temps.',
  method_not_allowed: "Cette action n'est pas possible ici.",
  unsupported_media_type: "La console a envoyé une requête que le service ne comprend pas. Rechargez la page.",
  internal_error: 'Le service a rencontré une erreur. Réessayez dans un moment.',
  error: 'Le service a refusé la demande.',
  unauthorized: 'Votre session a expiré. Connectez-vous à nouveau.',
  not_found: "Ce que vous cherchez n'existe pas.",
  network: 'Le service ne répond pas. Vérifiez votre connexion et réessayez.',
  unknown: "Une erreur inattendue s'est produite. Réessayez dans un moment.",
}

export type MessageKey = keyof typeof messages
export type ErrorCode = keyof typeof errors
export interface Dictionary {
  messages: Record<MessageKey, string>
  errors: Record<ErrorCode, string>
}

const fr: Dictionary = { messages, errors }
export default fr
