"""The Business Use Case Proposal (BUCP): a request for data under the agency's data-sharing
agreement, from the catalog's basket through joint development, registered opinions and
signatures to approval, filing and the agreement record that fulfillment reads."""
